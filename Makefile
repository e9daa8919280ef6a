# esmigrate — the two commands that matter:
#   make demo   start a source and a target cluster with sample data and open the wizard on them
#   make test   run every test against real clusters (started and stopped by the test itself)
# Both first install what they need (testenv/setup.sh: apt-get as root; otherwise it prints the line to run).
SHELL := /bin/bash
GO ?= go
DEMO_DIR ?= $(CURDIR)/testenv/.run
SHARES := $(DEMO_DIR)/shares

.PHONY: build test unit demo demo-headless stop clean bench bench-small bench-large bench-picker bench-readme lint release-check

build:
	$(GO) build -o esmigrate .

test:
	testenv/setup.sh test
	testenv/test.sh

unit:
	$(GO) vet ./... && $(GO) test ./...

demo: build
	testenv/setup.sh demo
	ESM_TESTENV_DIR=$(DEMO_DIR) testenv/cluster.sh start
	@echo
	@echo "The demo clusters keep running after the wizard; stop them with: make stop"
	./esmigrate --source http://127.0.0.1:19200 --target http://127.0.0.1:19210 \
	  --source-location $(SHARES)/source-repo/demo --target-location $(SHARES)/target-repo/demo \
	  --indices 'logs-*,articles,metrics-small,empty-index' --batch-max-size 8mb \
	  --state $(DEMO_DIR)/demo-state.json --report-dir $(DEMO_DIR)/reports

# The same migration without the wizard, line by line.
demo-headless: build
	testenv/setup.sh demo
	ESM_TESTENV_DIR=$(DEMO_DIR) testenv/cluster.sh start
	./esmigrate plan --source http://127.0.0.1:19200 --target http://127.0.0.1:19210 \
	  --source-location $(SHARES)/source-repo/demo --target-location $(SHARES)/target-repo/demo \
	  --indices 'logs-*,articles,metrics-small,empty-index' --batch-max-size 8mb \
	  --state $(DEMO_DIR)/demo-state.json --report-dir $(DEMO_DIR)/reports > $(DEMO_DIR)/demo-plan.yaml
	./esmigrate run --plan $(DEMO_DIR)/demo-plan.yaml --accept-warnings

stop:
	ESM_TESTENV_DIR=$(DEMO_DIR) testenv/cluster.sh stop

clean: stop
	rm -rf $(DEMO_DIR) dist esmigrate

# The benchmarks (testenv/bench/README.md). Each writes testenv/bench/results/latest[-size].{md,json} and rewrites
# README.md's tables from them; commit both. On a quiet machine: make bench-small bench
bench:
	testenv/setup.sh bench
	testenv/bench/run.sh

bench-small:
	testenv/setup.sh bench
	testenv/bench/run.sh --small

# About 10 GB: needs ~45 GB free disk and about 2 hours (expected; see README's Performance).
bench-large:
	testenv/setup.sh bench
	testenv/bench/run.sh --large

# README.md's tables again from the results files (no cluster needed).
# The index picker on a real source of 5,000 indices (issue #13), alone, with a 3 GB heap: about 15 minutes.
# Its results stay in testenv/bench/.run/small/work/latest.md (a run of one section publishes no tables).
bench-picker:
	testenv/setup.sh bench
	ES_HEAP=3g testenv/bench/run.sh --small --sections table

bench-readme:
	$(GO) run ./testenv/bench/harness --readme

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...

release-check:
	goreleaser check
