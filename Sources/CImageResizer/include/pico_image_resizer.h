#ifndef PICO_IMAGE_RESIZER_H
#define PICO_IMAGE_RESIZER_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// The formats pico resizes into: the same as the original's.
typedef enum { PICO_IMAGE_JPEG = 1, PICO_IMAGE_PNG = 2 } pico_image_format;

/// libvips's version, e.g. "8.14.1" (static storage).
const char *pico_image_resizer_version(void);

/// The size of the image at `path` as it is shown (after its EXIF orientation), read from its
/// header. 0 on success; otherwise -1 and *error a malloc'd message (free it).
int pico_image_size(const char *path, int *width, int *height, char **error);

/// The image at `path` scaled down to `width` pixels wide (height in proportion, never scaled
/// up), turned upright by its EXIF orientation, every metadata item left out, and encoded with
/// fixed options: JPEG quality 82 with optimised Huffman tables, baseline, no chroma change
/// from libvips' default; PNG at compression 9, not interlaced. The same file gives the same
/// bytes. 0 on success with *bytes (malloc'd, free it), *length and the result's size;
/// otherwise -1 and *error a malloc'd message.
int pico_image_resize(const char *path, int width, pico_image_format format,
                      void **bytes, size_t *length, int *out_width, int *out_height, char **error);

#ifdef __cplusplus
}
#endif
#endif
