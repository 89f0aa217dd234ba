"""The combining models: the ensemble and the median ensemble, and their rule.

A combining model declares its :class:`CombinationRule` (``rule``) and its members
(:meth:`EnsembleForecaster.member_aliases`: every non-combining model of the set it runs
with). The backtest at each origin, the live forecast and the registered (published) model
all call :meth:`CombinationRule.combine` on the member rows, with weights from
:meth:`CombinationRule.weights` over the member errors known at that time: there is no other
path. :class:`EnsembleForecaster` and :class:`MedianEnsembleForecaster` also stand alone behind
the :class:`~models.base.Forecaster` contract (they then fit their members themselves).

Jan–Feb rule: when the first period forecast is a January or February print (a separate one,
or the combined Jan–Feb figure labelled February) and :data:`JAN_FEB_MEMBER` nowcasts it (Korea's
month is out and overlaps enough history), the weighted combination is centred on that member's
forecast, its bounds moved with it (``centre_on`` of :func:`combine_forecasts`). When that member
is only its seasonal-ratio fallback, the plain combination stands.

The combination itself (weights, median, the Jan–Feb rule) is in :mod:`models.combining`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pandas as pd

from models.base import Forecaster, ModelError, PointForecast, interval_columns, nest_intervals
from models.combining import (
    JAN_FEB_MEMBER,
    Combination,
    CombinationRule,
    combine_forecasts,
    inverse_mae_weights,
    jan_feb_centre,
)

__all__ = [
    "DEFAULT_BALANCE_MEMBERS",
    "DEFAULT_MEMBERS",
    "JAN_FEB_MEMBER",
    "Combination",
    "CombinationRule",
    "EnsembleForecaster",
    "MedianEnsembleForecaster",
    "combine_forecasts",
    "is_combiner",
    "inverse_mae_weights",
    "jan_feb_centre",
]

#: members of a stand-alone ensemble built without ``members`` (on a balance history:
#: :data:`DEFAULT_BALANCE_MEMBERS`).
DEFAULT_MEMBERS: tuple[str, ...] = (
    "naive",
    "arima",
    "base_effect",
    "ets",
    "prophet",
    "ridge_ar",
    "seasonal_ratio",
)
#: members of a stand-alone ensemble on a balance history
DEFAULT_BALANCE_MEMBERS: tuple[str, ...] = ("naive", "seasonal_naive", "seasonal_arima")


class EnsembleForecaster(Forecaster):
    """The weighted combination: its members' forecasts combined by :attr:`rule`.

    Declared here, used everywhere: ``rule`` (trimmed inverse-MAE weights over a 24-month
    window, the better half of the members kept, the Jan–Feb rule on :data:`JAN_FEB_MEMBER`)
    and :meth:`member_aliases` (in a model set, every non-combining model).

    Standing alone (the :class:`~models.base.Forecaster` contract), it fits ``members``
    itself (default :data:`DEFAULT_MEMBERS`) and combines them with ``weights`` (e.g. from
    ``rule.weights(errors)``; None = equal weights). Members that raise :class:`ModelError`
    while fitting or predicting are left out and listed in ``failed_members`` (alias -> error
    text), never silently; if every member fails, fitting raises.

    Args:
        members: registry aliases of the member models.
        weights: {alias: weight}; None = equal weights.
        rule: a variant of the declared rule (evaluation only, e.g. without the Jan–Feb rule).
    """

    alias = "ensemble"
    min_history = 3
    series_kinds = frozenset({"yoy", "balance"})
    #: combining models form their forecast from other models' rows (see the module docstring)
    combines: ClassVar[bool] = True
    rule: ClassVar[CombinationRule] = CombinationRule("weighted", jan_feb_member=JAN_FEB_MEMBER)

    def __init__(
        self,
        members: Sequence[str] | None = None,
        weights: dict[str, float] | None = None,
        rule: CombinationRule | None = None,
    ) -> None:
        super().__init__()
        from models.registry import model_class

        self._default_members = members is None
        members = list(DEFAULT_MEMBERS if members is None else members)
        if not members:
            raise ModelError(f"model {self.alias!r} needs at least one member")
        for m in members:
            cls = model_class(m)  # raises UnknownModelError listing the known aliases
            if getattr(cls, "combines", False):
                raise ModelError(f"model {self.alias!r}: member {m!r} is itself an ensemble")
        self.members = list(dict.fromkeys(members))
        self.weights = dict(weights) if weights else None
        if rule is not None:
            self.rule = rule  # type: ignore[misc] - an instance-level variant
        self.failed_members: dict[str, str] = {}
        self.fitted_members: dict[str, Forecaster] = {}

    @classmethod
    def member_aliases(cls, aliases: Sequence[str]) -> list[str]:
        """The members this combiner takes from the model set ``aliases``: every model of it
        that does not itself combine, in order."""
        from models.registry import model_class

        return [a for a in aliases if not getattr(model_class(a), "combines", False)]

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        from models.base import series_kind
        from models.registry import create_model

        self.failed_members = {}
        self.fitted_members = {}
        if self._default_members and series_kind(history.name) == "balance":
            self.members = list(DEFAULT_BALANCE_MEMBERS)
        for alias in self.members:
            try:
                self.fitted_members[alias] = create_model(alias).fit(history, exog)
            except ModelError as exc:
                self.failed_members[alias] = str(exc)
        if not self.fitted_members:
            raise ModelError(f"model {self.alias!r}: every member failed: {self.failed_members}")

    def _forecast_frame(
        self, horizon: int, exog: pd.DataFrame | None, levels: tuple[int, ...]
    ) -> pd.DataFrame:
        """Combine the fitted members' forecasts for the next ``horizon`` target periods.

        ``exog`` goes to the members as given. No plausibility check of its own: each member
        forecast passed its own, and a weighted mean or a median stays among them.
        """
        parts: list[pd.DataFrame] = []
        for alias, model in self.fitted_members.items():
            try:
                nowcast = bool(getattr(model, "used_indicators", ()))
                fc = model.predict(horizon, exog, levels)
                parts.append(fc.assign(model=alias, uses_indicators=nowcast))
            except ModelError as exc:
                self.failed_members[alias] = str(exc)
        if not parts:
            raise ModelError(f"model {self.alias!r}: every member failed: {self.failed_members}")
        out = self.rule.combine(pd.concat(parts, ignore_index=True), self.weights).frame
        out = out.loc[:, ["period", "yhat", *interval_columns(levels)]]
        # both combinations preserve each member's lo <= yhat <= hi ordering; this only
        # guards against members whose bounds are missing for some level
        nest_intervals(out, levels)
        return out.reset_index(drop=True)

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        raise NotImplementedError("never called: ensembles override _forecast_frame")


class MedianEnsembleForecaster(EnsembleForecaster):
    """Like :class:`EnsembleForecaster`, but the per-period median of each column."""

    alias = "ensemble_median"
    rule: ClassVar[CombinationRule] = CombinationRule("median")


def is_combiner(alias: str) -> bool:
    """Whether the registered model ``alias`` combines other models' forecasts."""
    from models.registry import model_class

    return bool(getattr(model_class(alias), "combines", False))
