// Model documents for the unit tests (as `superres export` / `translate export` write them, minus what is unused).
export const superresDocument = (extra = {}) => ({
  schema: 'gansuite-model/1', task: 'superres', kind: 'test', scale: 2, input_name: 'image', output_name: 'output',
  input_range: [0, 1], output_range: [0, 1], multiple_of: 1, graph_min_size: 1, tile_overlap: 3, tile_multiple: 1,
  suggested_tile: 256, grey_rule: 'replicate-average', alpha_rule: 'bicubic', tiles_exact: true, border: 'clip', ...extra,
});

export const translateDocument = (extra = {}) => ({
  schema: 'gansuite-model/1', task: 'translate', kind: 'resnet_generator', input_name: 'image', output_name: 'output',
  input_range: [-1, 1], output_range: [-1, 1], multiple_of: 4, graph_min_size: 8, grey_rule: 'replicate-average',
  alpha_rule: 'passthrough', tiles_exact: false, border: 'reflect', ...extra,
});
