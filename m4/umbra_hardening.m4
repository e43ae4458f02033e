# umbra_hardening.m4: the hardening flags Debian builds its packages with
# (dpkg-buildflags, hardening=+all), each kept only when this compiler and
# linker take it without a warning.
#
# Results go to HARDEN_CPPFLAGS, HARDEN_CFLAGS and HARDEN_LDFLAGS, which
# Makefile.am puts in AM_CPPFLAGS, AM_CFLAGS and AM_LDFLAGS: automake writes
# the user's CPPFLAGS, CFLAGS and LDFLAGS after those, so a flag the user
# gives (-fno-stack-protector, -no-pie, -Wl,-z,lazy, -U_FORTIFY_SOURCE)
# wins. Each check runs with the user's flags already in place.

# UMBRA_HARDEN_TRY(VARIABLE, FLAG, compile|link): appends FLAG to VARIABLE
# when a test program builds with it under -Werror.
AC_DEFUN([UMBRA_HARDEN_TRY], [
  AS_VAR_PUSHDEF([umbra_cache], [umbra_cv_harden_$2])
  AC_CACHE_CHECK([whether $CC accepts $2], [umbra_cache], [
    umbra_save_CFLAGS=$CFLAGS
    umbra_save_LDFLAGS=$LDFLAGS
    CFLAGS="$CFLAGS $HARDEN_CFLAGS -Werror"
    m4_if([$3], [link],
      [LDFLAGS="$LDFLAGS $HARDEN_LDFLAGS $2"
       AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdio.h>]], [[puts("x");]])],
         [AS_VAR_SET([umbra_cache], [yes])], [AS_VAR_SET([umbra_cache], [no])])],
      [CFLAGS="$CFLAGS $2"
       AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <stdio.h>]], [[puts("x");]])],
         [AS_VAR_SET([umbra_cache], [yes])], [AS_VAR_SET([umbra_cache], [no])])])
    CFLAGS=$umbra_save_CFLAGS
    LDFLAGS=$umbra_save_LDFLAGS])
  AS_VAR_IF([umbra_cache], [yes], [$1="${$1:+$$1 }$2"])
  AS_VAR_POPDEF([umbra_cache])])

# UMBRA_HARDEN_FORTIFY(LEVEL): sets HARDEN_CPPFLAGS to FORTIFY at LEVEL
# when the C library really applies that level (glibc's
# __USE_FORTIFY_LEVEL): glibc lowers 3 to 2 where the compiler lacks
# __builtin_dynamic_object_size, and to 0 without optimisation (-O0), with
# a warning that -Werror turns into a failed check.
AC_DEFUN([UMBRA_HARDEN_FORTIFY], [
  AC_CACHE_CHECK([whether _FORTIFY_SOURCE=$1 takes effect], [umbra_cv_harden_fortify_$1], [
    umbra_save_CPPFLAGS=$CPPFLAGS
    CPPFLAGS="$CPPFLAGS -Werror -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <string.h>
#if !defined __USE_FORTIFY_LEVEL || __USE_FORTIFY_LEVEL < $1
#error FORTIFY level $1 is not applied
#endif]], [[]])],
      [umbra_cv_harden_fortify_$1=yes], [umbra_cv_harden_fortify_$1=no])
    CPPFLAGS=$umbra_save_CPPFLAGS])
  AS_IF([test "x$umbra_cv_harden_fortify_$1" = xyes],
    [HARDEN_CPPFLAGS="-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$1"])])

# UMBRA_HARDENING(SANITIZERS): the checks, in the order Debian lists the
# flags. FORTIFY is left off when SANITIZERS is yes (see configure.ac) or
# when the user's CPPFLAGS or CFLAGS already set _FORTIFY_SOURCE.
AC_DEFUN([UMBRA_HARDENING], [
  HARDEN_CPPFLAGS=""
  HARDEN_CFLAGS=""
  HARDEN_LDFLAGS=""
  AS_CASE(["$CPPFLAGS $CFLAGS"],
    [*_FORTIFY_SOURCE*], [AC_MSG_NOTICE([_FORTIFY_SOURCE: as given in CPPFLAGS/CFLAGS])],
    [AS_IF([test "x$1" = xyes],
      [AC_MSG_NOTICE([_FORTIFY_SOURCE: off under --enable-sanitizers (ASan checks those calls itself)])],
      [UMBRA_HARDEN_FORTIFY([3])
       AS_IF([test -z "$HARDEN_CPPFLAGS"], [UMBRA_HARDEN_FORTIFY([2])])
       AS_IF([test -z "$HARDEN_CPPFLAGS"],
         [AC_MSG_WARN([_FORTIFY_SOURCE is not applied (it needs glibc and -O1 or more in CFLAGS)])])])])
  UMBRA_HARDEN_TRY([HARDEN_CFLAGS], [-fstack-protector-strong])
  UMBRA_HARDEN_TRY([HARDEN_CFLAGS], [-fstack-clash-protection])
  UMBRA_HARDEN_TRY([HARDEN_CFLAGS], [-fcf-protection])
  UMBRA_HARDEN_TRY([HARDEN_CFLAGS], [-fPIE])
  AS_CASE([" $HARDEN_CFLAGS "], [*" -fPIE "*],
    [UMBRA_HARDEN_TRY([HARDEN_LDFLAGS], [-pie], [link])])
  UMBRA_HARDEN_TRY([HARDEN_LDFLAGS], [-Wl,-z,relro], [link])
  UMBRA_HARDEN_TRY([HARDEN_LDFLAGS], [-Wl,-z,now], [link])])
