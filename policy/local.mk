# policy/: libumbra-policy (rules, reconciliation, explanation), the
# umbra-policy command, its tests and benchmark.
lib_LTLIBRARIES += policy/libumbra-policy.la
policy_libumbra_policy_la_SOURCES = \
	policy/policy.h policy/rules.h \
	policy/names.c \
	policy/jpos.c policy/jpos.h \
	policy/rules.c \
	policy/set.c \
	policy/decide.c \
	policy/explain.c
policy_libumbra_policy_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
policy_libumbra_policy_la_LIBADD = $(JANSSON_LIBS)
policyincludedir = $(includedir)/umbra
policyinclude_HEADERS = policy/policy.h
# Who links the library: LDADD += $(POLICY_LIBS), CPPFLAGS += -I$(top_srcdir)/policy
POLICY_LIBS = policy/libumbra-policy.la $(JANSSON_LIBS)

bin_PROGRAMS += policy/umbra-policy
policy_umbra_policy_SOURCES = policy/umbra-policy.c
policy_umbra_policy_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
policy_umbra_policy_LDADD = $(POLICY_LIBS)
