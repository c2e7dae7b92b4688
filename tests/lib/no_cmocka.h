/* Forced into every test program when configure found no cmocka
 * (configure.ac): `make check` stops here with the package to install. */
#error "make check needs cmocka: apt-get install libcmocka-dev, then re-run configure"
