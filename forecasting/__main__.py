from forecasting.cli import entry

entry()
