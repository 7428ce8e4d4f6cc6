#!/usr/bin/env python3
"""TensorFlow Lite's own answer for an int8 .tflite file, for checking rig's importer (dev only).

Runs the file with TFLite's reference kernels (BUILTIN_REF, not the optimized ones) on int8 input
bytes and prints, as JSON, the CRC-32 (zlib's) of the input and of the output, the output bytes in
hex, and with --tensors every int8 tensor's CRC-32 in execution order, to find the first operator
where rig and TFLite part. Needs tensorflow (`pip install tensorflow-cpu`); rig never runs it.

A float32 input that a QUANTIZE makes int8, and a float32 output a DEQUANTIZE makes of int8, are
the edges of the int8 model rig imports: the input bytes are then the QUANTIZE's int8 output (fed
as the floats that quantize to them, which is checked), and the output is the DEQUANTIZE's int8
input.

    node scripts/tflite-input.mjs FILE.tflite [--seed N] > /tmp/in.bin   # rig's seeded input
    python3 scripts/tflite-expected.py FILE.tflite /tmp/in.bin [--tensors]
"""
import argparse
import json
import zlib

import numpy as np
import tensorflow as tf


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("input", help="raw int8 input bytes, HWC")
    parser.add_argument("--tensors", action="store_true", help="also every int8 tensor's CRC-32")
    args = parser.parse_args()

    interpreter = tf.lite.Interpreter(
        model_path=args.model,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
        # Every tensor kept, to read the int8 tensors at a float model's edges.
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    ops = interpreter._get_ops_details()
    details = interpreter.get_tensor_details()
    data = open(args.input, "rb").read()
    values = np.frombuffer(data, dtype=np.int8)
    expected = int(np.prod(inp["shape"]))
    if len(data) != expected:
        raise SystemExit(f"{args.input}: expected {expected} int8 bytes for input {inp['shape'].tolist()} {inp['dtype']}, found {len(data)} bytes")
    quantized = None  # the int8 tensor a QUANTIZE makes of a float input
    if inp["dtype"] == np.float32:
        (quantize,) = [op for op in ops if op["op_name"] == "QUANTIZE" and inp["index"] in op["inputs"]]
        quantized = quantize["outputs"][0]
        (scale,), (zero_point,) = details[quantized]["quantization_parameters"]["scales"], details[quantized]["quantization_parameters"]["zero_points"]
        floats = ((values.astype(np.float64) - zero_point) * scale).astype(np.float32)
        interpreter.set_tensor(inp["index"], floats.reshape(inp["shape"]))
    elif inp["dtype"] == np.int8:
        interpreter.set_tensor(inp["index"], values.reshape(inp["shape"]))
    else:
        raise SystemExit(f"{args.model}: input {inp['shape'].tolist()} is {inp['dtype']}; expected int8, or float32 with a QUANTIZE")
    interpreter.invoke()
    if quantized is not None and interpreter.get_tensor(quantized).tobytes() != data:
        raise SystemExit(f"{args.model}: the QUANTIZE of the float input did not give back the int8 input")
    result_tensor = out["index"]
    if out["dtype"] == np.float32:
        (dequantize,) = [op for op in ops if op["op_name"] == "DEQUANTIZE" and out["index"] in op["outputs"]]
        result_tensor = dequantize["inputs"][0]
    output = interpreter.get_tensor(result_tensor).tobytes()
    result = {
        "model": args.model,
        "inputCrc32": zlib.crc32(data),
        "outputCrc32": zlib.crc32(output),
        "output": output.hex(),
    }
    if args.tensors:
        # Operator outputs in execution order (constants have no producer and are left out).
        result["tensors"] = [
            {"op": op["index"], "name": interpreter.get_tensor_details()[t]["name"], "crc32": zlib.crc32(interpreter.get_tensor(t).tobytes())}
            for op in ops
            for t in op["outputs"]
        ]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
