from forecasting.cli import run

run()
