# broker/: umbra-broker, its unit and integration tests, and its benchmark.
# The sanitizer and DTLS identity live in broker/sdp.mk (SDP_LIBS).
noinst_LIBRARIES += broker/libumbra_broker.a
broker_libumbra_broker_a_SOURCES = \
	broker/broker_config.c broker/broker_config.h \
	broker/keys.c broker/keys.h \
	broker/store.c broker/store.h broker/store_batch.c \
	broker/identities.c broker/identities.h \
	broker/creds.c broker/creds.h \
	broker/cname.c broker/cname.h \
	broker/dtls_pool.c broker/dtls_pool.h \
	broker/calls.h broker/calls_internal.h broker/calls_record.c broker/calls_material.c \
	broker/calls_create.c broker/calls_signal.c broker/calls_events.c broker/calls_candidate.c \
	broker/http.c broker/http.h broker/http_json.c broker/http_limit.c broker/http_limit.h \
	broker/client_limit.c broker/client_limit.h broker/create_limit.c broker/create_limit.h \
	broker/wipe.c broker/wipe.h \
	broker/api.c broker/api.h broker/api_req.c broker/api_req.h \
	broker/api_identities.c broker/api_create.c broker/api_calls.c broker/api_health.c \
	broker/api_demo.c \
	broker/status.h
BROKER_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/policy -I$(top_srcdir)/broker $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS) $(HIREDIS_CFLAGS) $(SODIUM_CFLAGS) $(JANSSON_CFLAGS)
broker_libumbra_broker_a_CFLAGS = $(BROKER_CFLAGS)
BROKER_LIBS = broker/libumbra_broker.a $(SDP_LIBS) $(POLICY_LIBS) $(COMMON_LIBS) \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) $(SODIUM_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += broker/umbra-broker
broker_umbra_broker_SOURCES = broker/main.c
broker_umbra_broker_CFLAGS = $(BROKER_CFLAGS) -DUMBRA_VERSION=\"$(PACKAGE_VERSION)\"
broker_umbra_broker_LDADD = $(BROKER_LIBS)
dist_man_MANS += broker/umbra-broker.8
EXTRA_DIST += contrib/umbra-broker.conf docs/api.md

# Integration tests: real redis-server, umbra-relay and umbra-broker on
# loopback ports 22000-22199 (tests/lib/umbra_harness.py + broker_harness.py).
TESTS += tests/integration/broker_api.sh tests/integration/broker_call.sh
EXTRA_DIST += tests/integration/broker_api.sh tests/integration/broker_api.py \
	tests/integration/broker_call.sh tests/integration/broker_call.py \
	tests/integration/broker_sdp_fixtures.py tests/lib/broker_harness.py

# Faults and leaks (stalled Redis, oversize bodies, secrets in memory, what
# users and Redis see): ports 25000-25099.
TESTS += tests/integration/broker_faults.sh
EXTRA_DIST += tests/integration/broker_faults.sh tests/integration/broker_faults.py

# Documented limits at N, N+1 and the largest body max-body lets through:
# ports 38000-38099.
TESTS += tests/integration/broker_edges.sh
EXTRA_DIST += tests/integration/broker_edges.sh tests/integration/broker_edges.py

# Benchmark: bench/bench_broker.sh starts redis-server (and umbra-broker for
# the HTTP figure) on ports 22200-22299 and runs bench/bench_broker.
noinst_PROGRAMS += bench/bench_broker
bench_bench_broker_SOURCES = bench/bench_broker.c
bench_bench_broker_CFLAGS = $(BROKER_CFLAGS)
bench_bench_broker_LDADD = $(BROKER_LIBS)
EXTRA_DIST += bench/bench_broker.sh bench/redis_aof_kill.py bench/redis_memory.py

# Unit tests (test_broker_store starts its own redis-server on port 22300).
BROKER_UNIT_TESTS = tests/unit/test_broker_identities tests/unit/test_broker_creds \
	tests/unit/test_broker_config tests/unit/test_broker_store
check_PROGRAMS += $(BROKER_UNIT_TESTS)
TESTS += $(BROKER_UNIT_TESTS)
tests_unit_test_broker_identities_SOURCES = tests/unit/test_broker_identities.c
tests_unit_test_broker_identities_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_identities_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
tests_unit_test_broker_creds_SOURCES = tests/unit/test_broker_creds.c
tests_unit_test_broker_creds_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_creds_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
tests_unit_test_broker_config_SOURCES = tests/unit/test_broker_config.c
tests_unit_test_broker_config_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_config_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
tests_unit_test_broker_store_SOURCES = tests/unit/test_broker_store.c
tests_unit_test_broker_store_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_store_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)

# Fleet: the live relays announced in Redis, and the choice of one per party.
broker_libumbra_broker_a_SOURCES += broker/fleet.c broker/fleet.h
check_PROGRAMS += tests/unit/test_broker_fleet
TESTS += tests/unit/test_broker_fleet
tests_unit_test_broker_fleet_SOURCES = tests/unit/test_broker_fleet.c
tests_unit_test_broker_fleet_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_fleet_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)

# Crashes: kill -9 of redis-server under live calls (AOF recovery, 503s,
# relays keep relaying, revocation after), kill -9 of umbra-relay; and the
# per-client limits. Ports 32000-32199.
TESTS += tests/integration/broker_redis_kill.sh tests/integration/broker_limits.sh
EXTRA_DIST += tests/integration/broker_redis_kill.sh tests/integration/broker_redis_kill.py \
	tests/integration/broker_limits.sh tests/integration/broker_limits.py
# What strangers can make it store: creation limits and a full Redis
# (ports 37300-37399).
TESTS += tests/integration/broker_flood.sh
EXTRA_DIST += tests/integration/broker_flood.sh tests/integration/broker_flood.py
check_PROGRAMS += tests/unit/test_broker_client_limit
TESTS += tests/unit/test_broker_client_limit
tests_unit_test_broker_client_limit_SOURCES = tests/unit/test_broker_client_limit.c
tests_unit_test_broker_client_limit_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_client_limit_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_broker_create_limit
TESTS += tests/unit/test_broker_create_limit
tests_unit_test_broker_create_limit_SOURCES = tests/unit/test_broker_create_limit.c
tests_unit_test_broker_create_limit_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_broker_create_limit_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)

# Privileges and secrets: secret file modes, proc-user/proc-group on a
# privileged port, not dumpable, keys out of gcore (ports 33100-33199 and
# one in 980-999).
TESTS += tests/integration/broker_privs.sh
EXTRA_DIST += tests/integration/broker_privs.sh tests/integration/broker_privs.py

# Bearer secrets out of URLs (identity token only in Authorization: Bearer;
# ports 38100-38199) and counters for the operator only (/metrics only on
# metrics-listen; ports 38200-38299).
TESTS += tests/integration/broker_bearer.sh tests/integration/broker_metrics.sh
EXTRA_DIST += tests/integration/broker_bearer.sh tests/integration/broker_bearer.py \
	tests/integration/broker_metrics.sh tests/integration/broker_metrics.py

# Generated hostile requests to every endpoint (bounded: about 3000 in 45 s;
# UMBRA_PROPS_REQUESTS / UMBRA_PROPS_SECONDS / UMBRA_PROPS_SEED for longer
# runs and replays). Ports 36600-36699.
TESTS += tests/integration/broker_props.sh
EXTRA_DIST += tests/integration/broker_props.sh tests/integration/broker_props.py
