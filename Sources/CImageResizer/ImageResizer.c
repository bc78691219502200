// The one file that calls libvips (whose options are C varargs, out of Swift's reach).
#include "pico_image_resizer.h"

#include <vips/vips.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int startStatus = -1;

static void start(void) {
    startStatus = vips_init("pico");
    if (startStatus != 0) return;
    // No operation cache (results held in memory across a build, keyed partly by pointers), and
    // one thread per image: the build already resizes as many images at once as it has cores.
    vips_cache_set_max(0);
    vips_concurrency_set(1);
}

static char *copied(const char *message) {
    return strdup(message && *message ? message : "libvips failed");
}

static int failed(char **error) {
    // libvips keeps one error text per process; take it (and clear it) for this caller.
    char *text = vips_error_buffer_copy();
    *error = copied(text);
    g_free(text);
    return -1;
}

static int started_or_error(char **error) {
    pthread_once(&started, start);
    if (startStatus != 0) {
        *error = copied("libvips could not start");
        return -1;
    }
    return 0;
}

const char *pico_image_resizer_version(void) {
    return vips_version_string();
}

int pico_image_size(const char *path, int *width, int *height, char **error) {
    if (started_or_error(error)) return -1;
    VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!image) return failed(error);
    int swap = vips_image_get_orientation_swap(image);
    *width = swap ? vips_image_get_height(image) : vips_image_get_width(image);
    *height = swap ? vips_image_get_width(image) : vips_image_get_height(image);
    g_object_unref(image);
    return 0;
}

int pico_image_resize(const char *path, int width, pico_image_format format,
                      void **bytes, size_t *length, int *out_width, int *out_height, char **error) {
    if (started_or_error(error)) return -1;
    VipsImage *scaled = NULL;
    if (vips_thumbnail(path, &scaled, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, NULL)) return failed(error);
    void *encoded = NULL;
    size_t size = 0;
    int status = format == PICO_IMAGE_PNG
        ? vips_pngsave_buffer(scaled, &encoded, &size, "compression", 9, "interlace", FALSE, "strip", TRUE, NULL)
        : vips_jpegsave_buffer(scaled, &encoded, &size, "Q", 82, "optimize_coding", TRUE, "interlace", FALSE,
                               "strip", TRUE, NULL);
    *out_width = vips_image_get_width(scaled);
    *out_height = vips_image_get_height(scaled);
    g_object_unref(scaled);
    if (status) return failed(error);
    // Handed over as malloc'd memory, whatever allocator libvips used.
    *bytes = malloc(size ? size : 1);
    if (!*bytes) {
        g_free(encoded);
        *error = copied("out of memory");
        return -1;
    }
    memcpy(*bytes, encoded, size);
    g_free(encoded);
    *length = size;
    return 0;
}
