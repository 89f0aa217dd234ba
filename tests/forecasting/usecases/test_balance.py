"""The trade balance as a target: its model set, the identity member from the y/y forecasts,
the derived USD levels in the store and the year's surplus (use cases, in-process)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting.as_of import forecast_as_of
from forecasting.backtest import data_fingerprint
from forecasting.errors import DataError, ModelError
from forecasting.identity import identity_at
from forecasting.usecases import backtest, forecast_release
from forecasting.usecases._common import model_set
from forecasting.usecases.surplus import surplus

BALANCE = "balance_usd_bn"
QUICK = ["naive", "seasonal_naive", "identity", "ensemble"]


def test_each_target_takes_the_models_of_its_kind(service) -> None:
    assert model_set(service, BALANCE) == [
        "naive",
        "seasonal_naive",
        "seasonal_arima",
        "kr_balance",
        "identity",
        "ensemble",
        "ensemble_median",
    ]
    yoy = model_set(service, "exports_yoy")
    assert "identity" not in yoy and "seasonal_arima" not in yoy and "arima" in yoy
    with pytest.raises(ModelError, match="arima cannot forecast balance_usd_bn .* models for it"):
        model_set(service, BALANCE, ["naive", "arima"])


def test_the_identity_joins_the_balance_backtest_from_the_yoy_backtests(
    fast_project, service
) -> None:
    res = backtest(service, BALANCE, "2025-03", "2025-08", models=QUICK, jobs=1, warmup=0)
    obs = service.observations.frame()
    fp = data_fingerprint(obs)
    ex, im = (service.backtests.load(fp, t) for t in ("exports_yoy", "imports_yoy"))
    # the y/y backtests it needed were run and kept, their ensembles included
    for rows in (ex, im):
        assert {"2025-03", "2025-08"} <= set(rows.loc[rows["model"] == "ensemble", "period"])
    ident = res.frame[res.frame["model"] == "identity"].set_index("period")
    assert list(ident.index) == ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]
    # each identity row is the identity of the two y/y ensembles at that origin
    row = ident.loc["2025-06"]
    at = lambda f: f[(f["model"] == "ensemble") & (f["period"] == "2025-06")]  # noqa: E731
    direct = identity_at(
        obs,
        row["as_of"],
        at(ex),
        at(im),
        ex[ex["model"] == "ensemble"],
        im[im["model"] == "ensemble"],
    )
    assert row["yhat"] == pytest.approx(direct.iloc[0]["yhat"])
    if not row["calibrated"]:  # its bands: the joint y/y errors' until its own record counts
        assert row["yhat_lo_80"] == pytest.approx(direct.iloc[0]["yhat_lo_80"])
    # and the balance's actual is its first release, in USD bn
    assert row["actual"] == pytest.approx(
        obs.query("series == @BALANCE and period == '2025-06'")["value"].iloc[0]
    )


def test_a_balance_forecast_with_the_identity_is_published_as_printed(
    fast_project, service
) -> None:
    fc = forecast_release(service, BALANCE, as_of=date(2025, 9, 5), models=QUICK)
    assert fc.period == "2025-08" and set(fc.rows["model"]) == set(QUICK)
    assert fc.rows["yhat"].notna().all()
    assert "identity" in fc.weights  # weighted by its past errors like any member
    model = fc.published("ensemble")
    got = model.predict(pd.DataFrame({"period": ["2025-08"]})).iloc[0]
    assert got["yhat"] == pytest.approx(fc.ensemble["yhat"], abs=1e-9)
    with pytest.raises(ModelError, match="identity needs"):
        forecast_as_of(
            service.observations.frame(),
            BALANCE,
            "2025-08",
            date(2025, 9, 5),
            QUICK,
            pd.DataFrame(),
        )


def test_the_store_keeps_derived_levels_marked_as_derived(service) -> None:
    obs = service.observations.frame()
    levels = obs[obs["series"] == "exports_usd_bn"]
    derived = levels[levels["source"].str.startswith("derived:")]
    stated = levels[~levels["source"].str.startswith("derived:")]
    assert len(derived) > 100 and len(stated) > 20
    # never on a period and release where a report states the level
    keys = set(zip(stated["period"], stated["released"], strict=True))
    assert not keys & set(zip(derived["period"], derived["released"], strict=True))
    # a stated level typed at a derived row's key takes its place
    row = derived.iloc[-1]
    service.observations.add_frame(
        pd.DataFrame(
            [
                {
                    "series": "exports_usd_bn",
                    "period": row["period"],
                    "value": row["value"] + 1.0,
                    "released": str(row["released"]),
                    "source": "a report",
                }
            ]
        ),
        today=date(2026, 11, 29),
        where="test",
    )
    after = service.observations.frame()
    at = after[
        (after["series"] == "exports_usd_bn")
        & (after["period"] == row["period"])
        & (after["released"] == row["released"])
    ]
    assert list(at["source"]) == ["a report"]


def test_a_balance_disagreement_is_told_once_by_the_import_that_makes_it(service) -> None:
    from forecasting.derived import refresh_derived_levels

    def add(series: str, value: float) -> tuple[str, ...]:
        return service.observations.add_frame(
            pd.DataFrame(
                [
                    {
                        "series": series,
                        "period": "2026-09",
                        "value": value,
                        "released": "2026-10-13",
                        "source": "a report",
                    }
                ]
            ),
            today=date(2026, 11, 29),
            where="test",
        ).warnings

    # the bundled 2019-05 disagreement was told when the store was first loaded
    assert add("exports_usd_bn", 300.0) == ()
    assert add("imports_usd_bn", 200.0) == ()
    (told,) = add("balance_usd_bn", 90.0)  # 300 - 200 = 100, not 90
    assert told.startswith("2026-09: balance 90 but exports 300 − imports 200")
    # the derived rows already follow the import: the next start has nothing to redo or tell
    assert refresh_derived_levels(service.engine) == []
    assert add("kr_exports_yoy", 1.0) == ()  # the stated figures change; the disagreement stays


def test_the_year_surplus_from_the_store(service) -> None:
    full = surplus(service, year=2025, as_of=date(2026, 12, 1))
    assert full.complete and full.released_sum == pytest.approx(1194.2, abs=0.05)
    assert full.previous_total == pytest.approx(993.1, abs=0.05)
    assert full.exports_growth == pytest.approx(5.5, abs=0.2)
    ytd = surplus(service, year=2026, as_of=date(2026, 12, 1))
    assert not ytd.complete and len(ytd.remaining) == 11 - len(ytd.released)
    assert ytd.total_lo_95 <= ytd.total_lo_80 <= ytd.total <= ytd.total_hi_80 <= ytd.total_hi_95
    assert 0 <= ytd.p_record <= 1 and ytd.record == pytest.approx(1194.2, abs=0.05)
    with pytest.raises(DataError, match="no balance_usd_bn figures for 2010"):
        surplus(service, year=2010, as_of=date(2026, 12, 1))
    with pytest.raises(DataError, match="beyond the forecast horizon"):
        surplus(service, year=2028, as_of=date(2026, 12, 1))


def test_an_indicator_with_a_derived_source_survives_the_levels_refresh(service) -> None:
    """Reference series such as Korea's y/y rates computed from levels carry sources that
    start "derived:"; only the service's own USD level rows are ever regenerated."""
    korea = pd.DataFrame(
        [
            {
                "series": "kr_exports_yoy",
                "period": f"2012-{m:02d}",
                "value": float(m),
                "released": f"2012-{m + 1:02d}-01",
                "source": "derived: 100*(L[t]/L[t-12]-1) from a reference level file",
            }
            for m in range(1, 10)
        ]
    )
    assert service.observations.add_frame(korea, today=date(2026, 11, 29), where="t").added == 9
    # a new China print regenerates the derived levels
    china = pd.DataFrame(
        [
            {
                "series": "exports_yoy",
                "period": "2026-09",
                "value": 5.0,
                "released": "2026-10-13",
                "source": "a report",
            }
        ]
    )
    service.observations.add_frame(china, today=date(2026, 11, 29), where="t")
    kept = service.observations.frame().query("series == 'kr_exports_yoy' and period < '2013'")
    assert len(kept) == 9 and kept["source"].str.startswith("derived:").all()

    level = korea.iloc[:1].assign(series="exports_usd_bn", value=150.0)
    with pytest.raises(DataError, match="reserved for the levels the service derives"):
        service.observations.add_frame(level, today=date(2026, 11, 29), where="t")
