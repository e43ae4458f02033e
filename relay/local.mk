# relay/: umbra-relay, the privacy-enforcing TURN server, and its unit tests.
noinst_LIBRARIES += relay/libumbra_relay.a
relay_libumbra_relay_a_SOURCES = \
	relay/htab.c relay/htab.h \
	relay/relay_config.c relay/relay_config.h \
	relay/permission.c relay/permission.h \
	relay/channel.c relay/channel.h \
	relay/fleet_net.c relay/fleet_net.h \
	relay/peer_policy.c relay/peer_policy.h \
	relay/relay_addr.c relay/relay_addr.h \
	relay/revoke_list.c relay/revoke_list.h \
	relay/quota.c relay/quota.h \
	relay/unauth_limit.c relay/unauth_limit.h \
	relay/metrics.c relay/metrics.h \
	relay/clock.c relay/clock.h \
	relay/client_path.c relay/client_path.h \
	relay/send_batch.c relay/send_batch.h \
	relay/recv_batch.c relay/recv_batch.h \
	relay/egress.c relay/egress.h \
	relay/relay_shared.c relay/relay_shared.h \
	relay/allocation.c relay/allocation.h \
	relay/alloc_table.c relay/alloc_table.h \
	relay/datapath.c relay/datapath.h \
	relay/turn_handlers.c relay/turn_handlers.h \
	relay/handoff.c relay/handoff.h \
	relay/listener.c relay/listener.h \
	relay/worker.c relay/worker.h \
	relay/revocation.c relay/revocation.h
relay_libumbra_relay_a_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/relay $(STUN_CPPFLAGS) $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS) $(HIREDIS_CFLAGS) $(SODIUM_CFLAGS)
RELAY_LIBS = relay/libumbra_relay.a $(STUN_LIBS) $(LIBEVENT_LIBS) $(HIREDIS_LIBS) \
	$(OPENSSL_LIBS) $(SODIUM_LIBS)

bin_PROGRAMS += relay/umbra-relay
relay_umbra_relay_SOURCES = relay/main.c
relay_umbra_relay_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/relay $(STUN_CPPFLAGS) $(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS)
relay_umbra_relay_LDADD = $(RELAY_LIBS)

RELAY_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/relay $(STUN_CPPFLAGS) $(LIBEVENT_CFLAGS) \
	$(SODIUM_CFLAGS)
RELAY_TESTS = tests/unit/test_peer_policy tests/unit/test_relay_expiry \
	tests/unit/test_relay_config tests/unit/test_relay_addr tests/unit/test_relay_shared
check_PROGRAMS += $(RELAY_TESTS)
TESTS += $(RELAY_TESTS)
tests_unit_test_peer_policy_SOURCES = tests/unit/test_peer_policy.c
tests_unit_test_peer_policy_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_peer_policy_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_expiry_SOURCES = tests/unit/test_relay_expiry.c
tests_unit_test_relay_expiry_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_relay_expiry_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_config_SOURCES = tests/unit/test_relay_config.c
tests_unit_test_relay_config_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_relay_config_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_addr_SOURCES = tests/unit/test_relay_addr.c
tests_unit_test_relay_addr_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_relay_addr_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_shared_SOURCES = tests/unit/test_relay_shared.c
tests_unit_test_relay_shared_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_relay_shared_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)

dist_man_MANS += relay/umbra-relay.8
EXTRA_DIST += contrib/umbra-relay.conf

# A busy port stops the relay at start-up.
TESTS += tests/integration/relay_port_in_use.sh
EXTRA_DIST += tests/integration/relay_port_in_use.sh

# Packet path: send batching and the handoff between workers.
RELAY_PATH_TESTS = tests/unit/test_send_batch tests/unit/test_handoff
check_PROGRAMS += $(RELAY_PATH_TESTS)
TESTS += $(RELAY_PATH_TESTS)
tests_unit_test_send_batch_SOURCES = tests/unit/test_send_batch.c
tests_unit_test_send_batch_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_send_batch_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)
tests_unit_test_handoff_SOURCES = tests/unit/test_handoff.c
tests_unit_test_handoff_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_handoff_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)

# The packet paths with two workers under umbra-load (ports 26100-26199).
TESTS += tests/integration/relay_paths.sh
EXTRA_DIST += tests/integration/relay_paths.sh

# Fleet: relays announce themselves in Redis and accept each other's
# relayed addresses as peers (redis_link is the only hiredis user).
relay_libumbra_relay_a_SOURCES += relay/redis_link.c relay/redis_link.h common/fleet_keys.h \
	relay/fleet_announce.c relay/fleet_announce.h relay/fleet_view.c relay/fleet_view.h
relay_libumbra_relay_a_CFLAGS += $(JANSSON_CFLAGS)
RELAY_LIBS += $(JANSSON_LIBS)
check_PROGRAMS += tests/unit/test_fleet_record
TESTS += tests/unit/test_fleet_record
tests_unit_test_fleet_record_SOURCES = tests/unit/test_fleet_record.c
tests_unit_test_fleet_record_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_fleet_record_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)
# Limits and flood resistance: token buckets, the unauthenticated-request
# limit and the limit keys.
check_PROGRAMS += tests/unit/test_relay_limits
TESTS += tests/unit/test_relay_limits
tests_unit_test_relay_limits_SOURCES = tests/unit/test_relay_limits.c
tests_unit_test_relay_limits_CFLAGS = $(RELAY_TEST_CFLAGS)
tests_unit_test_relay_limits_LDADD = $(RELAY_LIBS) $(CMOCKA_LIBS)

# The limits end to end (ports 31000-31199), and a flood of malformed and
# badly signed packets while calls run (umbra_flood, ports 31200-31399).
TESTS += tests/integration/relay_limits.sh tests/integration/relay_flood.sh
EXTRA_DIST += tests/integration/relay_limits.sh tests/integration/relay_limits.py \
	tests/integration/relay_flood.sh tests/integration/relay_flood.py
check_PROGRAMS += tests/integration/umbra_flood
tests_integration_umbra_flood_SOURCES = tests/integration/umbra_flood.c
tests_integration_umbra_flood_CFLAGS = $(AM_CFLAGS) $(STUN_CPPFLAGS) $(SODIUM_CFLAGS)
tests_integration_umbra_flood_LDADD = $(STUN_LIBS) $(SODIUM_LIBS)

# The flood measures legitimate loss, so it runs alone: after every other
# test of a parallel `make check` (but before the log audit, which reads its
# logs too).
tests/integration/relay_flood.log: $(filter-out tests/integration/relay_flood.log \
	tests/integration/log_audit.log,$(TEST_LOGS))
# Privileges and secrets: secret file modes, proc-user/proc-group on
# privileged ports, not dumpable, secrets out of gcore (ports 33000-33099
# and two in 930-979).
TESTS += tests/integration/relay_privs.sh
EXTRA_DIST += tests/integration/relay_privs.sh tests/integration/relay_privs.py \
	tests/lib/privs_check.py

# One direction of dependency: no include cycle among the modules of
# relay/, common/ and stun/ (prints the graph).
TESTS += tests/style/include_cycles.sh
EXTRA_DIST += tests/style/include_cycles.sh tests/style/include_cycles.py
