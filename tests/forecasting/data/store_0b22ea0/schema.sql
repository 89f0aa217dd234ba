-- the service store schema at commit 0b22ea0 (sqlite_master of a store it created)
CREATE TABLE observations (
	id INTEGER NOT NULL, 
	series VARCHAR(64) NOT NULL, 
	period VARCHAR(7) NOT NULL, 
	value FLOAT NOT NULL, 
	released DATE NOT NULL, 
	source TEXT NOT NULL, 
	loaded_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_observation_vintage UNIQUE (series, period, released)
);
CREATE TABLE consensus (
	id INTEGER NOT NULL, 
	target VARCHAR(32) NOT NULL, 
	period VARCHAR(7) NOT NULL, 
	consensus FLOAT NOT NULL, 
	source VARCHAR(16) NOT NULL, 
	n_economists INTEGER, 
	polled_on DATE, 
	note TEXT NOT NULL, 
	loaded_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_consensus_poll UNIQUE (target, period, source, polled_on)
);
CREATE TABLE forecast_ledger (
	id INTEGER NOT NULL, 
	job_id VARCHAR(64) NOT NULL, 
	origin VARCHAR(32) NOT NULL, 
	target VARCHAR(32) NOT NULL, 
	period VARCHAR(7) NOT NULL, 
	as_of DATE NOT NULL, 
	model VARCHAR(64) NOT NULL, 
	yhat FLOAT, 
	yhat_lo_80 FLOAT, 
	yhat_hi_80 FLOAT, 
	yhat_lo_95 FLOAT, 
	yhat_hi_95 FLOAT, 
	p_beat FLOAT, 
	consensus FLOAT, 
	error TEXT, 
	mlflow_run_id VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE backtest_rows (
	id INTEGER NOT NULL, 
	fingerprint VARCHAR(16) NOT NULL, 
	target VARCHAR(32) NOT NULL, 
	period VARCHAR(7) NOT NULL, 
	model VARCHAR(64) NOT NULL, 
	as_of DATE NOT NULL, 
	yhat FLOAT, 
	yhat_lo_80 FLOAT, 
	yhat_hi_80 FLOAT, 
	yhat_lo_95 FLOAT, 
	yhat_hi_95 FLOAT, 
	actual FLOAT, 
	error TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_backtest_row UNIQUE (fingerprint, target, period, model)
);
CREATE INDEX ix_backtest_rows_fingerprint ON backtest_rows (fingerprint);
CREATE TABLE service_meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
