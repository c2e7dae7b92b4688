# VIPD_CHECK_CFLAG(FLAG, ACTION-IF-SUPPORTED)
# Compile an empty program with FLAG (and -Werror so unknown flags fail).
AC_DEFUN([VIPD_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([vipd_cv], [vipd_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [vipd_cv], [
    vipd_save_CFLAGS="$CFLAGS"
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([vipd_cv], [yes])], [AS_VAR_SET([vipd_cv], [no])])
    CFLAGS="$vipd_save_CFLAGS"])
  AS_VAR_IF([vipd_cv], [yes], [$2])
  AS_VAR_POPDEF([vipd_cv])
])
