"""What every view shares: the event bus, pacing, theme, colour maps, mosaics, figures."""
