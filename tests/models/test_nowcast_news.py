"""dfm.news: which indicator release moved the nowcast since the previous information set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.dfm import NEWS_COLUMNS, DynamicFactorNowcaster
from models.periods import is_target_period

IND_A, IND_B = "kr_exports_yoy", "kr_exports_first20d_yoy"


@pytest.fixture(scope="module")
def setup() -> tuple[pd.Series, pd.DataFrame]:
    periods = pd.period_range("2012-01", "2024-12", freq="M")
    rng = np.random.default_rng(11)
    f = np.zeros(len(periods))
    for t in range(1, len(periods)):
        f[t] = 0.8 * f[t - 1] + rng.normal(0.0, 4.0)
    exog = pd.DataFrame(
        {IND_A: f + rng.normal(0, 1.0, len(f)), IND_B: 1.2 * f + rng.normal(0, 2.0, len(f))},
        index=periods,
    )
    target = pd.Series(0.8 * f + rng.normal(0, 1.0, len(f)), index=periods)
    target[[not is_target_period(p) for p in periods]] = np.nan
    return target.loc[:"2024-11"], exog


def test_news_names_the_new_release(setup: tuple) -> None:
    history, exog = setup
    model = DynamicFactorNowcaster(indicators=(IND_A, IND_B)).fit(history, exog)
    previous = exog.copy()
    previous.loc["2024-12", IND_A] = np.nan  # the earlier set had only the 20-day flash

    news = model.news(previous)
    assert list(news.columns) == list(NEWS_COLUMNS)
    assert news["indicator"].tolist() == [IND_A]
    row = news.iloc[0]
    assert row["period"] == "2024-12"
    assert row["value"] == pytest.approx(exog.loc["2024-12", IND_A])
    assert row["news"] == pytest.approx(row["value"] - row["expected"])
    assert row["impact"] == pytest.approx(row["weight"] * row["news"])

    # the impacts add up to the change in the nowcast between the two information sets
    now = model.predict(1, exog)["yhat"].iloc[0]
    before = model.predict(1, previous)["yhat"].iloc[0]
    assert news["impact"].sum() == pytest.approx(now - before, abs=1e-6)


def test_news_empty_when_nothing_changed(setup: tuple) -> None:
    history, exog = setup
    model = DynamicFactorNowcaster(indicators=(IND_A, IND_B)).fit(history, exog)
    news = model.news(exog)
    assert news.empty
    assert list(news.columns) == list(NEWS_COLUMNS)
