"""A small image shown large: square, pixel for pixel enlarged (no smoothing), as big as its room.

Used for a digit and its saliency overlay in the gallery's detail and on the
Draw tab. The pixmap shown never feeds back into the layout's sizes.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class Picture(QLabel):
    """An image between ``smallest`` and ``largest`` pixels a side, square."""

    def __init__(self, smallest: int, largest: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._smallest, self._largest = smallest, largest
        self.setMinimumSize(smallest, smallest)
        self.setMaximumSize(largest, largest)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)  # stay square: as tall as the column is wide
        self.setSizePolicy(policy)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def sizeHint(self) -> QSize:
        return QSize(self._largest, self._largest)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._smallest, self._smallest)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(self._smallest, min(width, self._largest))

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None, text: str = "") -> None:
        self._image = image
        if image is None:
            self.clear()
            self.setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._image is None:
            return
        side = max(1, min(self.width(), self.height()))
        self.setPixmap(
            QPixmap.fromImage(self._image).scaled(
                side,
                side,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
