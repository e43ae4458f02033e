# contrib/: example configuration, policies, service units, the demo page and
# the set-up scripts (the load generator has its own contrib/load/local.mk).
EXTRA_DIST += contrib/deps.sh contrib/quickstart.sh contrib/test.sh \
	contrib/umbra-relay.conf contrib/umbra-broker.conf contrib/redis/umbra-redis.conf \
	contrib/systemd/umbra-relay.service contrib/systemd/umbra-broker.service \
	contrib/systemd/umbra-relay@.service contrib/redis/sentinel.conf docs/operations.md \
	contrib/web/index.html contrib/web/demo.css contrib/web/demo.js contrib/web/README.md
