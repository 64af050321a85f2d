// glibc's malloc extensions (malloc_trim, malloc_stats), which Swift's Glibc module leaves out.
#include <malloc.h>
