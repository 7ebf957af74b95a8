/// CZlib: zlib for Swift. zlib's initialisers are macros Swift cannot call, so this module adds
/// plain-function wrappers with the parameters replayd uses.
#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

/// deflateInit2 for gzip output: windowBits 15 + 16 (gzip wrapper), memLevel 8, default strategy.
/// `level` is 0...9 or Z_DEFAULT_COMPRESSION. Returns Z_OK, Z_MEM_ERROR, Z_STREAM_ERROR or Z_VERSION_ERROR.
int czlib_deflate_init_gzip(z_streamp strm, int level);

/// inflateInit2 with windowBits 15 + 32: accepts gzip or zlib wrapped data, detected from the header.
int czlib_inflate_init_auto(z_streamp strm);

#endif
