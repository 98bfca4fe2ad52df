// A Reel filter in C: inverts the picture (alpha kept), blended with the
// original by `strength` -- the same plugin as plugins/invert. Built with
// wit-bindgen's C bindings from sdk/wit (see build.sh and README.md).

#include <stdlib.h>
#include <string.h>

#include "plugin.h"

struct exports_reel_plugin_stage_instance_t {
  double strength;
};

// The host frees what `describe` returns: every string and list is
// allocated, never static.
static plugin_string_t text(const char *s) {
  plugin_string_t out;
  plugin_string_dup(&out, s);
  return out;
}

void exports_reel_plugin_stage_describe(exports_reel_plugin_stage_description_t *ret) {
  ret->name = text("c-invert");
  ret->version = text("0.1.0");
  ret->kind = EXPORTS_REEL_PLUGIN_STAGE_STAGE_KIND_FILTER;
  ret->summary = text("Inverts luma, chroma or RGB; alpha is kept (C)");
  ret->formats.len = 3;
  ret->formats.ptr = malloc(3 * sizeof(*ret->formats.ptr));
  ret->formats.ptr[0] = REEL_PLUGIN_FRAMES_PIXEL_FORMAT_I420;
  ret->formats.ptr[1] = REEL_PLUGIN_FRAMES_PIXEL_FORMAT_NV12;
  ret->formats.ptr[2] = REEL_PLUGIN_FRAMES_PIXEL_FORMAT_RGBA;
  ret->inputs.len = 0;
  ret->inputs.ptr = NULL;
  exports_reel_plugin_stage_param_spec_t *p = calloc(1, sizeof(*p));
  p->name = text("strength");
  p->kind = EXPORTS_REEL_PLUGIN_STAGE_VALUE_TYPE_NUMBER;
  p->default_.tag = EXPORTS_REEL_PLUGIN_STAGE_VALUE_NUMBER;
  p->default_.val.number = 1.0;
  p->min = (plugin_option_f64_t){.is_some = true, .val = 0.0};
  p->max = (plugin_option_f64_t){.is_some = true, .val = 1.0};
  p->doc = text("0 leaves the picture, 1 fully inverts");
  ret->params.len = 1;
  ret->params.ptr = p;
}

exports_reel_plugin_stage_own_instance_t exports_reel_plugin_stage_constructor_instance(void) {
  exports_reel_plugin_stage_instance_t *self = malloc(sizeof(*self));
  self->strength = 1.0;
  return exports_reel_plugin_stage_instance_new(self);
}

void exports_reel_plugin_stage_instance_destructor(exports_reel_plugin_stage_instance_t *rep) {
  free(rep);
}

static bool fail(exports_reel_plugin_stage_stage_error_t *err, uint8_t tag, const char *why) {
  err->tag = tag;
  plugin_string_dup(&err->val.failed, why);
  return false;
}

// Arguments belong to the callee: the list is freed here.
bool exports_reel_plugin_stage_method_instance_configure(
    exports_reel_plugin_stage_borrow_instance_t self, exports_reel_plugin_stage_list_param_t *params,
    exports_reel_plugin_stage_stage_error_t *err) {
  (void)err;
  for (size_t i = 0; i < params->len; i++) {
    exports_reel_plugin_stage_param_t *p = &params->ptr[i];
    if (p->name.len == 8 && memcmp(p->name.ptr, "strength", 8) == 0 &&
        p->value.tag == EXPORTS_REEL_PLUGIN_STAGE_VALUE_NUMBER) {
      self->strength = p->value.val.number;
    }
  }
  exports_reel_plugin_stage_list_param_free(params);
  return true;
}

bool exports_reel_plugin_stage_method_instance_filter(exports_reel_plugin_stage_borrow_instance_t self,
                                                      exports_reel_plugin_stage_borrow_frame_t frame,
                                                      exports_reel_plugin_stage_stage_error_t *err) {
  reel_plugin_frames_frame_info_t info;
  reel_plugin_frames_method_frame_info(frame, &info);
  bool rgba = info.format == REEL_PLUGIN_FRAMES_PIXEL_FORMAT_RGBA;
  bool ok = true;
  for (uint32_t plane = 0; ok && plane < info.planes.len; plane++) {
    plugin_list_u8_t rows;
    reel_plugin_frames_frame_error_t frame_err;
    if (!reel_plugin_frames_method_frame_read_rows(frame, plane, 0, info.planes.ptr[plane].rows, &rows,
                                                   &frame_err)) {
      reel_plugin_frames_frame_error_free(&frame_err);
      ok = fail(err, EXPORTS_REEL_PLUGIN_STAGE_STAGE_ERROR_FAILED, "reading the frame was refused");
      break;
    }
    double s = self->strength;
    for (size_t i = 0; i < rows.len; i++) {
      if (rgba && i % 4 == 3) continue;
      double v = rows.ptr[i];
      rows.ptr[i] = (uint8_t)(v + (255.0 - 2.0 * v) * s + 0.5);
    }
    if (!reel_plugin_frames_method_frame_write_rows(frame, plane, 0, &rows, &frame_err)) {
      reel_plugin_frames_frame_error_free(&frame_err);
      ok = fail(err, EXPORTS_REEL_PLUGIN_STAGE_STAGE_ERROR_FAILED, "writing the frame was refused");
    }
    plugin_list_u8_free(&rows);
  }
  reel_plugin_frames_frame_info_free(&info);
  // The borrow must be given back before returning, or the call traps with
  // "borrow handles still remain at the end of the call".
  reel_plugin_frames_frame_drop_borrow(frame);
  return ok;
}

bool exports_reel_plugin_stage_method_instance_mix(exports_reel_plugin_stage_borrow_instance_t self,
                                                   exports_reel_plugin_stage_list_mixer_input_t *inputs,
                                                   exports_reel_plugin_stage_borrow_frame_t output,
                                                   exports_reel_plugin_stage_stage_error_t *err) {
  (void)self;
  exports_reel_plugin_stage_list_mixer_input_free(inputs);
  reel_plugin_frames_frame_drop_borrow(output);
  return fail(err, EXPORTS_REEL_PLUGIN_STAGE_STAGE_ERROR_UNSUPPORTED, "c-invert is a filter");
}

bool exports_reel_plugin_stage_method_instance_decode(exports_reel_plugin_stage_borrow_instance_t self,
                                                      plugin_list_u8_t *data,
                                                      exports_reel_plugin_stage_list_own_frame_t *ret,
                                                      exports_reel_plugin_stage_stage_error_t *err) {
  (void)self;
  (void)ret;
  plugin_list_u8_free(data);
  return fail(err, EXPORTS_REEL_PLUGIN_STAGE_STAGE_ERROR_UNSUPPORTED, "c-invert is a filter");
}
