import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel, encodeModel, OnnxDataLocation, type OnnxModel } from './onnx-proto.js';

describe('ONNX ModelProto encoding', () => {
  // Hand-encoded from onnx.proto's field numbers: tag = field << 3 | wire type.
  const cases: Array<[string, OnnxModel, number[]]> = [
    ['ir_version (1, varint)', { ir_version: 8 }, [0x08, 0x08]],
    ['producer_name (2, bytes)', { producer_name: 'pt' }, [0x12, 0x02, 0x70, 0x74]],
    ['opset_import (8) with version (2)', { opset_import: [{ version: 17 }] }, [0x42, 0x02, 0x10, 0x11]],
    ['metadata_props (14) key (1)', { metadata_props: [{ key: 'a' }] }, [0x72, 0x03, 0x0a, 0x01, 0x61]],
    ['functions (25) name (1)', { functions: [{ name: 'f' }] }, [0xca, 0x01, 0x03, 0x0a, 0x01, 0x66]],
    ['graph (7) name (2)', { graph: { name: 'g' } }, [0x3a, 0x03, 0x12, 0x01, 0x67]],
    // graph.node (1) { attribute (5) { ints (8) unpacked [1, 2] } }
    [
      'attribute ints unpacked',
      { graph: { node: [{ attribute: [{ ints: [1, 2] }] }] } },
      [0x3a, 0x08, 0x0a, 0x06, 0x2a, 0x04, 0x40, 0x01, 0x40, 0x02],
    ],
    // graph.node (1) { op_type (4) "Relu", domain (7) "x" }
    [
      'node op_type (4) and domain (7)',
      { graph: { node: [{ op_type: 'R', domain: 'x' }] } },
      [0x3a, 0x08, 0x0a, 0x06, 0x22, 0x01, 0x52, 0x3a, 0x01, 0x78],
    ],
    // graph.initializer (5) { dims (1) unpacked [2], data_type (2) 1, float_data (4) packed [1.0] }
    [
      'initializer dims unpacked, float_data packed',
      { graph: { initializer: [{ dims: [2], data_type: 1, float_data: [1] }] } },
      [0x3a, 0x0c, 0x2a, 0x0a, 0x08, 0x02, 0x10, 0x01, 0x22, 0x04, 0x00, 0x00, 0x80, 0x3f],
    ],
    // graph.initializer (5) { external_data (13) { key "l" }, data_location (14) EXTERNAL }
    [
      'external_data (13) and data_location (14)',
      { graph: { initializer: [{ external_data: [{ key: 'l' }], data_location: OnnxDataLocation.EXTERNAL }] } },
      [0x3a, 0x09, 0x2a, 0x07, 0x6a, 0x03, 0x0a, 0x01, 0x6c, 0x70, 0x01],
    ],
    // graph.input (11) { name (1) "i", type (2) { tensor_type (1) { elem_type (1) 1, shape (2) { dim (1) { dim_param (2) "N" } } } } }
    [
      'value info with a symbolic dimension',
      { graph: { input: [{ name: 'i', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'N' }] } } } }] } },
      [0x3a, 0x12, 0x5a, 0x10, 0x0a, 0x01, 0x69, 0x12, 0x0b, 0x0a, 0x09, 0x08, 0x01, 0x12, 0x05, 0x0a, 0x03, 0x12, 0x01, 0x4e],
    ],
  ];
  for (const [name, model, bytes] of cases) {
    it(name, () => {
      assert.deepEqual([...encodeModel(model)], bytes);
      assert.deepEqual([...encodeModel(decodeModel(Uint8Array.from(bytes)))], bytes);
    });
  }

  it('round-trips int64 values, including INT64_MIN and negative dims', () => {
    const model: OnnxModel = {
      graph: {
        initializer: [{ name: 'ends', dims: [1], data_type: 7, int64_data: [-(2 ** 63)] }],
        output: [{ name: 'o', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: -1 }, { dim_value: 4 }] } } } }],
      },
    };
    const decoded = decodeModel(encodeModel(model));
    assert.deepEqual(decoded.graph?.initializer?.[0]?.int64_data, [-(2 ** 63)]);
    assert.deepEqual(decoded.graph?.output?.[0]?.type?.tensor_type?.shape?.dim, [{ dim_value: -1 }, { dim_value: 4 }]);
  });

  it('keeps raw_data bytes as they are', () => {
    const raw = Uint8Array.from([1, 2, 3, 250]);
    const decoded = decodeModel(encodeModel({ graph: { initializer: [{ name: 'w', raw_data: raw }] } }));
    assert.deepEqual([...(decoded.graph?.initializer?.[0]?.raw_data ?? [])], [...raw]);
  });

  it('skips fields it does not know (training_info, 20)', () => {
    // ir_version 8, then training_info (20, bytes) holding 2 opaque bytes.
    assert.deepEqual(decodeModel(Uint8Array.from([0x08, 0x08, 0xa2, 0x01, 0x02, 0x0a, 0x00])).ir_version, 8);
  });

  it('throws on truncated input and rejects a malformed object when encoding', () => {
    assert.throws(() => decodeModel(Uint8Array.from([0x3a, 0x10, 0x0a])), /index out of range/);
    assert.throws(() => encodeModel({ ir_version: 'eight' } as unknown as OnnxModel), /not an ONNX ModelProto/);
  });
});

