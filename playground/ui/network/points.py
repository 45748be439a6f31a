"""Custom points placed, removed and moved with the mouse on the boundary plot (the Network
Lab's part that turns the plot's signals into a new point set for its session)."""

from __future__ import annotations

from playground.core.network.datasets import CUSTOM, MAX_CUSTOM_POINTS

STARTER_POINTS = ((-3.0, -3.0, 0.0), (3.0, 3.0, 1.0))  # Custom points chosen with none yet


class PointEditing:
    """Mixed into NetworkLab: needs its `session`, `_say(text, level)` and `_show_setup()`."""

    def _custom_points(self) -> list[tuple[float, float, float]]:
        d = self.session.data_settings
        if d.kind == CUSTOM:
            return list(d.custom)
        points = d.points()
        if d.task == "classification" and len(points) < MAX_CUSTOM_POINTS:
            return [tuple(p) for p in points.tolist()]  # editing a set starts from its points
        return []

    def _on_point_added(self, x1: float, x2: float, label: float) -> None:
        self._set_custom([*self._custom_points(), (x1, x2, label)])

    def _on_point_removed(self, index: int) -> None:
        points = self._custom_points()
        if len(points) <= 2:
            self._say("Custom points keep at least two points.", "warning")
            return
        del points[index]
        self._set_custom(points)

    def _on_point_moved(self, index: int, x1: float, x2: float) -> None:
        points = self._custom_points()
        if 0 <= index < len(points):
            points[index] = (x1, x2, points[index][2])
            self._set_custom(points)

    def _set_custom(self, points: list[tuple[float, float, float]]) -> None:
        try:
            self.session.set_custom_points(points)
        except ValueError as exc:
            self._say(str(exc), "error")
            self._show_setup()
