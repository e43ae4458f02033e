# tests/build/: checks of the build itself. hardening.sh reads the built
# umbra-relay and umbra-broker with readelf (no ports, no processes).
TESTS += tests/build/hardening.sh
tests/build/hardening.log: relay/umbra-relay$(EXEEXT) broker/umbra-broker$(EXEEXT)
EXTRA_DIST += tests/build/local.mk tests/build/hardening.sh m4/umbra_hardening.m4
