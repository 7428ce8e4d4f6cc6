#!/usr/bin/env python3
"""TensorFlow Lite's own answer for an int8 .tflite file, for checking rig's importer (dev only).

Runs the file with TFLite's reference kernels (BUILTIN_REF, not the optimized ones) on int8 input
bytes and prints, as JSON, the CRC-32 (zlib's) of the input and of the output, the output bytes in
hex, and with --tensors every int8 tensor's CRC-32 in execution order, to find the first operator
where rig and TFLite part. Needs tensorflow (`pip install tensorflow-cpu`); rig never runs it.

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
        experimental_preserve_all_tensors=args.tensors,
    )
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    data = open(args.input, "rb").read()
    expected = int(np.prod(inp["shape"]))
    if inp["dtype"] != np.int8 or len(data) != expected:
        raise SystemExit(f"{args.input}: expected {expected} int8 bytes for input {inp['shape'].tolist()} {inp['dtype']}, found {len(data)} bytes")
    interpreter.set_tensor(inp["index"], np.frombuffer(data, dtype=np.int8).reshape(inp["shape"]))
    interpreter.invoke()
    output = interpreter.get_tensor(out["index"]).tobytes()
    result = {
        "model": args.model,
        "inputCrc32": zlib.crc32(data),
        "outputCrc32": zlib.crc32(output),
        "output": output.hex(),
    }
    if args.tensors:
        # Operator outputs in execution order (constants have no producer and are left out).
        ops = interpreter._get_ops_details()
        result["tensors"] = [
            {"op": op["index"], "name": interpreter.get_tensor_details()[t]["name"], "crc32": zlib.crc32(interpreter.get_tensor(t).tobytes())}
            for op in ops
            for t in op["outputs"]
        ]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
