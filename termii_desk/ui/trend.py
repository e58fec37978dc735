"""The balance trend: a small line of the last 14 days' balances, drawn with QPainter, and today's change."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from termii_desk.core.estimate import TREND_DAYS, Trend
from termii_desk.core.formatting import format_balance

LINE_COLOUR = "#1c7ed6"  # readable on light and dark palettes


class BalanceTrend(QWidget):
    """A sparkline: one point per day with a known balance, oldest on the left, today on the right edge.

    Empty (and hidden by its owner) with fewer than two days known. The tooltip lists the days and today's change.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._trend: Trend | None = None
        self.setAccessibleName("Balance trend over 14 days")
        self.setMinimumHeight(self.sizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(96, 22)

    @property
    def trend(self) -> Trend | None:
        return self._trend

    def set_trend(self, trend: Trend | None) -> None:
        self._trend = trend
        self.setToolTip(self._describe() if trend else "")
        self.setAccessibleDescription(self.toolTip())
        self.update()

    def _describe(self) -> str:
        trend = self._trend
        assert trend is not None
        currency = trend.currency or ""
        lines = [f"Balance over the last {TREND_DAYS} days (the last known balance of each day):"]
        lines += [f"{point.day:%a %d %b}: {format_balance(str(point.balance), currency)}" for point in trend.points]
        if trend.today_change is not None:
            lines.append(f"Today: {_signed(trend.today_change, currency)}")
        return "\n".join(lines)

    def paintEvent(self, event: QPaintEvent) -> None:
        trend = self._trend
        if trend is None or len(trend.points) < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(2, 3, -2, -3)
        first_day = trend.points[-1].day.toordinal() - (TREND_DAYS - 1)
        values = [float(point.balance) for point in trend.points]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        path = QPainterPath()
        for index, point in enumerate(trend.points):
            x = rect.left() + rect.width() * (point.day.toordinal() - first_day) / (TREND_DAYS - 1)
            y = rect.bottom() - rect.height() * ((float(point.balance) - low) / span if high != low else 0.5)
            if index == 0:
                path.moveTo(QPointF(x, y))
            else:
                path.lineTo(QPointF(x, y))
        baseline = QColor(self.palette().color(QPalette.ColorRole.Mid))
        painter.setPen(QPen(baseline, 1, Qt.PenStyle.DotLine))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.setPen(QPen(QColor(LINE_COLOUR), 1.6))
        painter.drawPath(path)
        painter.setBrush(QColor(LINE_COLOUR))
        painter.drawEllipse(path.currentPosition(), 2.2, 2.2)
        painter.end()


def _signed(amount: Decimal, currency: str) -> str:
    text = format_balance(str(abs(amount)), currency)
    return ("+" if amount > 0 else "−" if amount < 0 else "±") + text


def change_text(trend: Trend | None) -> str:
    """"today −7.50 NGN", or "" when today's change is unknown."""
    if trend is None or trend.today_change is None:
        return ""
    return "today " + _signed(trend.today_change, trend.currency or "")
