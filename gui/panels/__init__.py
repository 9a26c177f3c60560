"""Panels around the views: the controls, banners, the status line and the dialogs."""
