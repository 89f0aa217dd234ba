"""Jobs: compose the use cases, the ledger and tracking.

- :func:`main_job` (``forecasting run``, the pre-release job): backtest, forecast, record,
  register;
- :func:`record_forecast`: a forecast to the ledger and MLflow at once (``forecasting
  forecast``);
- the scheduler's job functions, referenced as ``forecasting.jobs:<name>``:
  :func:`pre_release_job`, :func:`post_release_job`, :func:`record_missed`,
  :func:`catch_up_tracking`, :func:`data_inbox_job`.
"""

from forecasting.jobs.inbox import data_inbox_job
from forecasting.jobs.main import JobResult, TargetRun, main_job
from forecasting.jobs.record import Recorded, ledger_rows, record_forecast
from forecasting.jobs.release import (
    catch_up_tracking,
    missed_releases,
    post_release_job,
    pre_release_job,
    record_missed,
)

__all__ = [
    "JobResult",
    "Recorded",
    "TargetRun",
    "catch_up_tracking",
    "data_inbox_job",
    "ledger_rows",
    "main_job",
    "missed_releases",
    "post_release_job",
    "pre_release_job",
    "record_missed",
    "record_forecast",
]
