// OpenBLAS's CBLAS interface (Debian: libopenblas-dev), for the forward pass's matrix products.
#include <cblas.h>

// Declared again here because <cblas.h> may be another vendor's header through the system's
// alternatives; the symbol is OpenBLAS's own.
void openblas_set_num_threads(int num_threads);
