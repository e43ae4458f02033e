# tests/fuzz/local.mk: the libFuzzer builds of the fuzz targets.
#
# `make fuzz` compiles every target with clang and
# -fsanitize=fuzzer,address,undefined into tests/fuzz/lf/ (straight from the
# sources: the gcc objects of the normal build are not instrumented).
# `make fuzz-check` builds them and runs each for FUZZ_SECONDS (default 5)
# over its seed corpus and regression inputs; contrib/test.sh runs it after
# make check. Neither is part of all or check, so clang is only needed here.
# The standalone-driver builds of the same targets run in make check (see
# stun/local.mk, broker/sdp.mk, policy/local.mk and below), all of them
# through run_fuzz.sh.
FUZZ_CC = clang
FUZZ_SECONDS = 5
FUZZ_RUNS = 2000000
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=c11 -Wall -D_GNU_SOURCE -I$(top_srcdir)/common -I$(top_builddir)
FUZZ_DIR = tests/fuzz/lf
FUZZ_SRC = $(top_srcdir)

FUZZ_STUN_SRC = $(FUZZ_SRC)/stun/stun_msg.c $(FUZZ_SRC)/stun/stun_auth.c \
	$(FUZZ_SRC)/stun/stream_frame.c \
	$(FUZZ_SRC)/common/addr.c $(FUZZ_SRC)/common/turn_rest.c
FUZZ_SDP_SRC = $(FUZZ_SRC)/broker/sdp_sanitize.c $(FUZZ_SRC)/broker/sdp_candidate.c \
	$(FUZZ_SRC)/broker/sdp_fingerprint.c $(FUZZ_SRC)/broker/sdp_label.c \
	$(FUZZ_SRC)/broker/sdp_addr.c $(FUZZ_SRC)/broker/sdp_text.c
FUZZ_POLICY_SRC = $(FUZZ_SRC)/policy/names.c $(FUZZ_SRC)/policy/jpos.c \
	$(FUZZ_SRC)/policy/rules.c $(FUZZ_SRC)/policy/set.c $(FUZZ_SRC)/policy/decide.c \
	$(FUZZ_SRC)/policy/explain.c

FUZZ_BROKER_SRC = $(FUZZ_SRC)/broker/api_req.c $(FUZZ_SRC)/broker/http_json.c \
	$(FUZZ_SRC)/broker/calls_candidate.c $(FUZZ_SDP_SRC) $(FUZZ_POLICY_SRC)

# The handlers, over the recording fake store instead of broker/store.c.
FUZZ_CALLS_SRC = $(FUZZ_SRC)/tests/fuzz/fake_store.c $(FUZZ_SRC)/broker/store_batch.c \
	$(FUZZ_SRC)/broker/calls_record.c \
	$(FUZZ_SRC)/broker/calls_material.c $(FUZZ_SRC)/broker/calls_create.c \
	$(FUZZ_SRC)/broker/calls_signal.c $(FUZZ_SRC)/broker/calls_events.c \
	$(FUZZ_SRC)/broker/calls_candidate.c $(FUZZ_SRC)/broker/identities.c \
	$(FUZZ_SRC)/broker/keys.c $(FUZZ_SRC)/broker/creds.c $(FUZZ_SRC)/broker/cname.c \
	$(FUZZ_SRC)/broker/dtls_pool.c $(FUZZ_SRC)/broker/dtls_id.c $(FUZZ_SRC)/broker/fleet.c \
	$(FUZZ_SRC)/broker/api_req.c $(FUZZ_SRC)/broker/http_json.c \
	$(FUZZ_SRC)/broker/broker_config.c $(FUZZ_SRC)/broker/wipe.c $(FUZZ_SRC)/common/log.c \
	$(FUZZ_SRC)/common/addr.c $(FUZZ_SRC)/common/conf.c $(FUZZ_SRC)/common/conf_table.c $(FUZZ_SRC)/common/fleet_mac.c \
	$(FUZZ_SRC)/common/turn_rest.c \
	$(FUZZ_SRC)/common/redis_target.c $(FUZZ_SRC)/common/wipe_alloc.c $(FUZZ_SRC)/common/redis_val.c \
	$(FUZZ_SDP_SRC) $(FUZZ_POLICY_SRC)

FUZZ_TARGETS = $(FUZZ_DIR)/fuzz_stun_msg $(FUZZ_DIR)/fuzz_channel_data $(FUZZ_DIR)/fuzz_sdp \
	$(FUZZ_DIR)/fuzz_policy $(FUZZ_DIR)/fuzz_broker_req $(FUZZ_DIR)/fuzz_broker_calls

fuzz: $(FUZZ_TARGETS)

$(FUZZ_DIR)/fuzz_stun_msg: $(FUZZ_SRC)/tests/fuzz/fuzz_stun_msg.c $(FUZZ_STUN_SRC)
	@$(MKDIR_P) $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(FUZZ_SRC)/stun $(SODIUM_CFLAGS) $(OPENSSL_CFLAGS) \
		$(FUZZ_SRC)/tests/fuzz/fuzz_stun_msg.c $(FUZZ_STUN_SRC) \
		$(SODIUM_LIBS) $(OPENSSL_LIBS) $(ZLIB_LIBS) -o $@

$(FUZZ_DIR)/fuzz_channel_data: $(FUZZ_SRC)/tests/fuzz/fuzz_channel_data.c $(FUZZ_STUN_SRC)
	@$(MKDIR_P) $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(FUZZ_SRC)/stun $(SODIUM_CFLAGS) $(OPENSSL_CFLAGS) \
		$(FUZZ_SRC)/tests/fuzz/fuzz_channel_data.c $(FUZZ_STUN_SRC) \
		$(SODIUM_LIBS) $(OPENSSL_LIBS) $(ZLIB_LIBS) -o $@

$(FUZZ_DIR)/fuzz_sdp: $(FUZZ_SRC)/tests/fuzz/fuzz_sdp.c $(FUZZ_SDP_SRC)
	@$(MKDIR_P) $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_SDP_LIBFUZZER -I$(FUZZ_SRC)/broker $(SODIUM_CFLAGS) \
		$(FUZZ_SRC)/tests/fuzz/fuzz_sdp.c $(FUZZ_SDP_SRC) $(SODIUM_LIBS) -o $@

$(FUZZ_DIR)/fuzz_policy: $(FUZZ_SRC)/tests/policy/fuzz_policy.c $(FUZZ_POLICY_SRC)
	@$(MKDIR_P) $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_POLICY_CONTEXTS=1 -I$(FUZZ_SRC)/policy $(JANSSON_CFLAGS) \
		$(FUZZ_SRC)/tests/policy/fuzz_policy.c $(FUZZ_POLICY_SRC) $(JANSSON_LIBS) -o $@

$(FUZZ_DIR)/fuzz_broker_req: $(FUZZ_SRC)/tests/fuzz/fuzz_broker_req.c $(FUZZ_BROKER_SRC)
	@$(MKDIR_P) $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(FUZZ_SRC)/broker -I$(FUZZ_SRC)/policy $(JANSSON_CFLAGS) \
		$(SODIUM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) \
		$(FUZZ_SRC)/tests/fuzz/fuzz_broker_req.c $(FUZZ_BROKER_SRC) $(JANSSON_LIBS) \
		$(SODIUM_LIBS) -o $@

$(FUZZ_DIR)/fuzz_broker_calls: $(FUZZ_SRC)/tests/fuzz/fuzz_broker_calls.c \
		$(FUZZ_SRC)/tests/fuzz/fake_store.h $(FUZZ_CALLS_SRC)
	@$(MKDIR_P) $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(FUZZ_SRC)/broker -I$(FUZZ_SRC)/policy $(JANSSON_CFLAGS) \
		$(SODIUM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) \
		$(HIREDIS_CFLAGS) $(FUZZ_SRC)/tests/fuzz/fuzz_broker_calls.c $(FUZZ_CALLS_SRC) \
		$(JANSSON_LIBS) $(SODIUM_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) $(LIBEVENT_LIBS) \
		-lpthread -o $@

# A short run of each: FUZZ_SECONDS each, at most FUZZ_RUNS inputs.
fuzz-check: $(FUZZ_TARGETS)
	$(SHELL) $(top_srcdir)/tests/fuzz/run_libfuzzer.sh '$(abs_top_srcdir)' '$(abs_top_builddir)' \
		'$(FUZZ_SECONDS)' '$(FUZZ_RUNS)'

clean-local: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)

.PHONY: fuzz fuzz-check clean-fuzz

# Every standalone-driver target over its corpus, regressions and
# generated inputs.
TESTS += tests/fuzz/run_fuzz.sh
EXTRA_DIST += tests/fuzz/run_fuzz.sh tests/fuzz/README.md tests/fuzz/make_corpus.py tests/fuzz/corpus

# The broker's request parsers under the standalone driver, in make check.
check_PROGRAMS += tests/fuzz/fuzz_broker_req
tests_fuzz_fuzz_broker_req_SOURCES = tests/fuzz/fuzz_broker_req.c tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_broker_req_CFLAGS = $(BROKER_CFLAGS)
tests_fuzz_fuzz_broker_req_LDADD = $(BROKER_LIBS)
check_PROGRAMS += tests/unit/test_api_req
TESTS += tests/unit/test_api_req
tests_unit_test_api_req_SOURCES = tests/unit/test_api_req.c
tests_unit_test_api_req_CFLAGS = $(BROKER_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_api_req_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fuzz/local.mk tests/fuzz/run_libfuzzer.sh tests/fuzz/fuzz_broker_req.c \
	tests/fuzz/regress \
	tests/fuzz/fuzz_broker_calls.c tests/fuzz/fake_store.c tests/fuzz/fake_store.h \
	tests/fuzz/dict

# Whole handlers over the recording fake store (tests/fuzz/fake_store.c in
# place of broker/store.c: the broker library is not linked, its call
# modules are compiled in again), under the standalone driver.
check_PROGRAMS += tests/fuzz/fuzz_broker_calls
tests_fuzz_fuzz_broker_calls_SOURCES = tests/fuzz/fuzz_broker_calls.c tests/fuzz/fuzz_main.c \
	tests/fuzz/fake_store.c tests/fuzz/fake_store.h broker/store_batch.c broker/calls_record.c \
	broker/calls_material.c broker/calls_create.c broker/calls_signal.c broker/calls_events.c \
	broker/calls_candidate.c broker/identities.c broker/keys.c broker/creds.c broker/cname.c \
	broker/dtls_pool.c broker/fleet.c broker/api_req.c broker/http_json.c \
	broker/broker_config.c broker/wipe.c
tests_fuzz_fuzz_broker_calls_CFLAGS = $(BROKER_CFLAGS)
tests_fuzz_fuzz_broker_calls_LDADD = $(SDP_LIBS) $(POLICY_LIBS) $(COMMON_LIBS) $(OPENSSL_LIBS) \
	$(SODIUM_LIBS) $(JANSSON_LIBS) $(HIREDIS_LIBS) $(LIBEVENT_LIBS) -lpthread
