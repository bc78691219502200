// libvips: its flags (pkg-config vips) for CImageResizer, the C file that wraps it. libvips's
// operations take variadic options, which Swift cannot call, so Swift sees only CImageResizer.
#include <vips/version.h>
