"""The factor model's news decomposition for a live forecast: which indicator releases moved
its nowcast since the previous one."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import pandas as pd

from forecasting.indicators import indicator_exog
from forecasting.observations import first_release_dates, information_set, target_history
from forecasting.origin import exog_indicators
from forecasting.service import Service
from models.errors import ModelError
from models.registry import create_model

__all__ = ["factor_news"]


def factor_news(
    service: Service,
    obs: pd.DataFrame,
    info: pd.DataFrame,
    history: pd.Series,
    target: str,
    period: str,
    as_of: date,
) -> pd.DataFrame | None:
    """The ``dfm`` news decomposition of its nowcast of ``period`` since the previous nowcast
    (the ledger's latest earlier ``dfm`` forecast of this period, else the information set
    right after the last customs print). ``info`` and ``history`` are the information set as
    of ``as_of`` and ``target``'s history in it. None when there is nothing to decompose or
    the model cannot decompose it (the decomposition informs; it never fails a forecast).

    Returns:
        the model's news frame with a ``since`` column (the previous nowcast's date).
    """
    target_p = pd.Period(period, freq="M")
    history = history[history.index < target_p]
    history = history.loc[: history.last_valid_index()]
    ledger = service.ledger.frame(target=target, period=period)
    earlier = ledger[(ledger["model"] == "dfm") & (ledger["as_of"] < as_of)]
    if not earlier.empty:
        previous = max(earlier["as_of"])
    else:
        previous = first_release_dates(obs, target)[str(history.index[-1])] + timedelta(days=1)
    if previous >= as_of:
        return None
    names = exog_indicators(["dfm"])
    prev_info = information_set(obs, previous)
    prev_hist = target_history(prev_info, target).reindex(history.index)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = create_model("dfm").fit(history, indicator_exog(info, names, target_p))
            news = model.news(indicator_exog(prev_info, names, target_p), prev_hist, target_p)
    except ModelError:
        return None
    return news.assign(since=previous.isoformat())
