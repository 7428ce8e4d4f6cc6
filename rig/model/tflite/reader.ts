// Reads a TFLite file (the flatbuffer of tensorflow/lite/schema/schema.fbs) into plain data: its one
// subgraph's tensors with their quantization and constant bytes, and its operators with their
// options. Pure: bytes in, data out, or a TfliteError that says what is wrong and where. Only the
// operators rig can import are read past their code; any other is an error naming it.
import { TfliteError } from './errors.js';
import { rootTable, type Table } from './flatbuffer.js';

// Field slots, in schema order (a union takes two: its type, then its value).
const MODEL = { operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 } as const;
const SUBGRAPH = { tensors: 0, inputs: 1, outputs: 2, operators: 3 } as const;
const TENSOR = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 } as const;
const QUANTIZATION = { scale: 2, zeroPoint: 3, quantizedDimension: 6 } as const;
const BUFFER = { data: 0, offset: 1, size: 2 } as const;
const OPERATOR_CODE = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
const OPERATOR = { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptions: 4 } as const;

/** TensorType, by value. */
const TENSOR_TYPES = [
  'FLOAT32',
  'FLOAT16',
  'INT32',
  'UINT8',
  'INT64',
  'STRING',
  'BOOL',
  'INT16',
  'COMPLEX64',
  'INT8',
  'FLOAT64',
  'COMPLEX128',
  'UINT64',
  'RESOURCE',
  'VARIANT',
  'UINT32',
  'UINT16',
  'INT4',
] as const;

// BuiltinOperator, by value, as far as every schema version agrees (a newer code is named by number).
// prettier-ignore
const BUILTIN_NAMES = [
  'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE',
  'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU',
  'RELU_N1_TO_1', 'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH',
  'CONCAT_EMBEDDINGS', 'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD',
  'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER', 'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE', 'MEAN', 'SUB',
  'DIV', 'SQUEEZE', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP',
  'TOPK_V2', 'SPLIT', 'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM',
  'ARG_MAX', 'MINIMUM', 'LESS', 'NEG', 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT', 'SLICE',
  'SIN', 'TRANSPOSE_CONV', 'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM', 'SQRT',
  'RSQRT', 'SHAPE', 'POW', 'ARG_MIN', 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR',
  'ONE_HOT', 'LOGICAL_AND', 'LOGICAL_NOT', 'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE',
  'ZEROS_LIKE', 'FILL', 'FLOOR_MOD', 'RANGE', 'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE',
  'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE', 'CEIL', 'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE', 'RANK',
  'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG', 'QUANTIZE', 'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE',
  'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5', 'SCATTER_ND', 'SELECT_V2', 'DENSIFY', 'SEGMENT_SUM',
  'BATCH_MATMUL', 'PLACEHOLDER_FOR_GREATER_OP_CODES', 'CUMSUM', 'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D', 'CONV_3D',
  'IMAG', 'REAL', 'COMPLEX_ABS', 'HASHTABLE', 'HASHTABLE_FIND', 'HASHTABLE_IMPORT', 'HASHTABLE_SIZE', 'REDUCE_ALL',
  'CONV_3D_TRANSPOSE', 'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE', 'BROADCAST_ARGS',
  'RANDOM_STANDARD_NORMAL', 'BUCKETIZE', 'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU', 'DYNAMIC_UPDATE_SLICE',
  'RELU_0_TO_1', 'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_SUM', 'ATAN2',
  'UNSORTED_SEGMENT_MIN',
] as const;

export const BUILTIN = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  RESHAPE: 22,
  SOFTMAX: 25,
  PAD: 34,
  MEAN: 40,
  QUANTIZE: 114,
} as const;
export type Builtin = keyof typeof BUILTIN;

/** The operators rig imports, by name. */
export const SUPPORTED_OPERATORS = (Object.keys(BUILTIN) as Builtin[]).sort();

const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;
export type FusedActivation = (typeof ACTIVATIONS)[number];
export type Padding = 'SAME' | 'VALID';

export interface Quantization {
  /** One scale per channel along `axis`, or one for the whole tensor (float32 values). */
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly axis: number;
}

export interface TfliteTensor {
  readonly index: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: string;
  /** The constant bytes, little-endian; null for an activation. */
  readonly data: Uint8Array | null;
  readonly quantization: Quantization | null;
}

export interface WindowOptions {
  readonly padding: Padding;
  readonly strideH: number;
  readonly strideW: number;
  readonly activation: FusedActivation;
}

export type TfliteOperator = { readonly index: number; readonly version: number; readonly inputs: readonly number[]; readonly outputs: readonly number[] } & (
  | { readonly builtin: 'CONV_2D'; readonly options: WindowOptions & { readonly dilationH: number; readonly dilationW: number } }
  | {
      readonly builtin: 'DEPTHWISE_CONV_2D';
      readonly options: WindowOptions & { readonly depthMultiplier: number; readonly dilationH: number; readonly dilationW: number };
    }
  | { readonly builtin: 'AVERAGE_POOL_2D'; readonly options: WindowOptions & { readonly filterH: number; readonly filterW: number } }
  | { readonly builtin: 'ADD' | 'FULLY_CONNECTED'; readonly options: { readonly activation: FusedActivation } }
  | { readonly builtin: 'SOFTMAX'; readonly options: { readonly beta: number } }
  | { readonly builtin: 'MEAN'; readonly options: { readonly keepDims: boolean } }
  | { readonly builtin: 'PAD' | 'RESHAPE' | 'QUANTIZE' | 'DEQUANTIZE'; readonly options: null }
);

export interface TfliteGraph {
  readonly tensors: readonly TfliteTensor[];
  readonly operators: readonly TfliteOperator[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

function builtinName(code: number): string {
  return BUILTIN_NAMES[code] ?? `builtin operator ${code}`;
}

function activation(options: Table | null, slot: number): FusedActivation {
  const code = options?.int8(slot) ?? 0;
  return ACTIVATIONS[code] ?? (`activation ${code}` as FusedActivation);
}

function windowOptions(o: Table | null, activationSlot: number): WindowOptions {
  return {
    padding: (o?.int8(0) ?? 0) === 0 ? 'SAME' : 'VALID',
    strideW: o?.int32(1) ?? 0,
    strideH: o?.int32(2) ?? 0,
    activation: activation(o, activationSlot),
  };
}

/** Reads a TFLite flatbuffer; throws a TfliteError for anything rig cannot import as read. */
export function readTflite(bytes: Uint8Array): TfliteGraph {
  const model = rootTable(bytes, 'TFL3', 'model');
  const subgraphs = model.tables(MODEL.subgraphs, 'subgraphs');
  if (subgraphs.length !== 1) throw new TfliteError(`expected one subgraph, found ${subgraphs.length} (rig imports single-graph models, without control flow)`);
  const graph = subgraphs[0]!;
  const buffers = model.tables(MODEL.buffers, 'buffers');

  const tensors = graph.tables(SUBGRAPH.tensors, 'tensors').map((t, index): TfliteTensor => {
    const bufferIndex = t.uint32(TENSOR.buffer);
    const buffer = bufferIndex === 0 ? undefined : buffers[bufferIndex];
    if (bufferIndex !== 0 && buffer === undefined) throw new TfliteError(`${t.what}: buffer ${bufferIndex} does not exist (the file has ${buffers.length})`);
    const q = t.table(TENSOR.quantization, 'quantization');
    const scale = q?.float32s(QUANTIZATION.scale, 'scale') ?? [];
    const typeCode = t.int8(TENSOR.type);
    return {
      index,
      name: t.string(TENSOR.name, 'name'),
      shape: t.int32s(TENSOR.shape, 'shape'),
      type: TENSOR_TYPES[typeCode] ?? `type ${typeCode}`,
      data: buffer === undefined ? null : bufferData(buffer, bytes),
      quantization:
        q === null || scale.length === 0
          ? null
          : { scale, zeroPoint: q.int64s(QUANTIZATION.zeroPoint, 'zero_point').map(Number), axis: q.int32(QUANTIZATION.quantizedDimension) },
    };
  });
  const tensorRefs = (list: readonly number[], what: string): number[] =>
    list.map((i, k) => {
      if (i !== -1 && tensors[i] === undefined) throw new TfliteError(`${what}[${k}]: tensor ${i} does not exist (the subgraph has ${tensors.length})`);
      return i;
    });
  const inputs = tensorRefs(graph.int32s(SUBGRAPH.inputs, 'inputs'), 'subgraph inputs');
  const outputs = tensorRefs(graph.int32s(SUBGRAPH.outputs, 'outputs'), 'subgraph outputs');

  const codes = model.tables(MODEL.operatorCodes, 'operator_codes').map((c) => ({
    // TFLite's GetBuiltinCode: the larger of the 8-bit field older files use and the 32-bit one.
    builtin: Math.max(c.int8(OPERATOR_CODE.deprecatedBuiltinCode), c.int32(OPERATOR_CODE.builtinCode)),
    custom: c.string(OPERATOR_CODE.customCode, 'custom_code'),
    version: c.int32(OPERATOR_CODE.version, 1),
  }));
  const operatorTables = graph.tables(SUBGRAPH.operators, 'operators');
  // A float model is named as one before any of its operators is.
  const readers = (tensor: number) =>
    operatorTables.filter((o) => o.int32s(OPERATOR.inputs, 'inputs').includes(tensor)).map((o) => codes[o.uint32(OPERATOR.opcodeIndex)]?.builtin);
  checkInteger(tensors, inputs, readers);
  const operators = operatorTables.map((o, index): TfliteOperator => {
    const code = codes[o.uint32(OPERATOR.opcodeIndex)];
    if (code === undefined)
      throw new TfliteError(`operator ${index}: operator code ${o.uint32(OPERATOR.opcodeIndex)} does not exist (the file has ${codes.length})`);
    const ins = tensorRefs(o.int32s(OPERATOR.inputs, 'inputs'), `operator ${index} inputs`);
    const outs = tensorRefs(o.int32s(OPERATOR.outputs, 'outputs'), `operator ${index} outputs`);
    const base = { index, version: code.version, inputs: ins, outputs: outs };
    const options = o.table(OPERATOR.builtinOptions, 'builtin_options');
    switch (code.builtin) {
      case BUILTIN.CONV_2D:
        return {
          ...base,
          builtin: 'CONV_2D',
          options: { ...windowOptions(options, 3), dilationW: options?.int32(4, 1) ?? 1, dilationH: options?.int32(5, 1) ?? 1 },
        };
      case BUILTIN.DEPTHWISE_CONV_2D:
        return {
          ...base,
          builtin: 'DEPTHWISE_CONV_2D',
          options: {
            ...windowOptions(options, 4),
            depthMultiplier: options?.int32(3) ?? 0,
            dilationW: options?.int32(5, 1) ?? 1,
            dilationH: options?.int32(6, 1) ?? 1,
          },
        };
      case BUILTIN.AVERAGE_POOL_2D:
        return {
          ...base,
          builtin: 'AVERAGE_POOL_2D',
          options: { ...windowOptions(options, 5), filterW: options?.int32(3) ?? 0, filterH: options?.int32(4) ?? 0 },
        };
      case BUILTIN.ADD:
        return { ...base, builtin: 'ADD', options: { activation: activation(options, 0) } };
      case BUILTIN.FULLY_CONNECTED:
        return { ...base, builtin: 'FULLY_CONNECTED', options: { activation: activation(options, 0) } };
      case BUILTIN.SOFTMAX:
        return { ...base, builtin: 'SOFTMAX', options: { beta: options?.float32(0) ?? 0 } };
      case BUILTIN.MEAN:
        return { ...base, builtin: 'MEAN', options: { keepDims: (options?.uint8(0) ?? 0) !== 0 } };
      case BUILTIN.PAD:
        return { ...base, builtin: 'PAD', options: null };
      case BUILTIN.RESHAPE:
        return { ...base, builtin: 'RESHAPE', options: null };
      case BUILTIN.QUANTIZE:
        return { ...base, builtin: 'QUANTIZE', options: null };
      case BUILTIN.DEQUANTIZE:
        return { ...base, builtin: 'DEQUANTIZE', options: null };
      default: {
        const name = code.custom === '' ? builtinName(code.builtin) : `custom operator "${code.custom}"`;
        const list = (refs: number[]) => refs.map((i) => (i === -1 ? '(none)' : JSON.stringify(tensors[i]!.name))).join(', ');
        throw new TfliteError(
          `operator ${index} is ${name} (version ${code.version}; inputs ${list(ins)}; outputs ${list(outs)}), which rig cannot import; supported: ${SUPPORTED_OPERATORS.join(', ')}`,
        );
      }
    }
  });
  return { tensors, operators, inputs, outputs };
}

/** A buffer's bytes: inside the flatbuffer, or (files over 2 GB) at an offset after it. */
function bufferData(buffer: Table, file: Uint8Array): Uint8Array | null {
  const inside = buffer.bytes(BUFFER.data, 'data');
  if (inside.length > 0) return inside;
  const offset = buffer.uint64(BUFFER.offset);
  if (offset <= 1n) return null;
  const size = buffer.uint64(BUFFER.size);
  if (offset + size > BigInt(file.length))
    throw new TfliteError(`truncated or damaged file: ${buffer.what} points to bytes ${offset}..${offset + size} of a ${file.length}-byte file`);
  return file.subarray(Number(offset), Number(offset + size));
}

/**
 * A float model (float weights, or a float input that anything but a QUANTIZE reads) is refused
 * before its operators are imported. A float input that only QUANTIZE operators read is the edge
 * of an int8 model: the importer starts at their int8 output.
 */
function checkInteger(tensors: readonly TfliteTensor[], inputs: readonly number[], readers: (tensor: number) => (number | undefined)[]): void {
  const float = (t: TfliteTensor) => t.type === 'FLOAT32' || t.type === 'FLOAT16' || t.type === 'FLOAT64';
  const quantizedOnly = (t: TfliteTensor) => {
    const codes = readers(t.index);
    return codes.length > 0 && codes.every((c) => c === BUILTIN.QUANTIZE);
  };
  const input = inputs.map((i) => tensors[i]!).find((t) => float(t) && !quantizedOnly(t));
  const weight = tensors.find((t) => t.data !== null && float(t));
  const found = weight ?? input;
  if (found !== undefined) {
    throw new TfliteError(
      `a float model: ${found === weight ? 'constant' : 'input'} tensor "${found.name}" is ${found.type.toLowerCase()}; rig imports int8 models (full-integer quantization: int8 weights and operators, a float input or output only through a QUANTIZE or DEQUANTIZE at the edge)`,
    );
  }
}
