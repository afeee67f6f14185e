#!/usr/bin/python3
"""The reference server of bench/serve.sh: the same .mlp model run by
Debian's python3-torch behind Python's http.server, answering the same Open
Inference Protocol v2 JSON request with the same response fields as
mlops-serve (model_name, model_version, id, outputs), so that the benchmark
compares serving stacks on one model and one body.

    /usr/bin/python3 bench/serve_torch.py MODEL.mlp PORT NAME [THREADS]

Reads the model file as docs/ml/model-file.md describes it (float32,
float16 and int8 tensors; INT8 layers are dequantized to float32 weights,
which is what torch would run). Prints "ready" once listening."""
import http.server
import json
import socketserver
import struct
import sys
import zlib

import numpy as np
import torch


def load_mlp(path):
    raw = open(path, "rb").read()
    if raw[:8] != b"MLOPSMLP" or struct.unpack_from("<I", raw, 8)[0] != 1:
        raise SystemExit(f"{path}: not an mlopsd model file, format 1")
    body = zlib.decompress(raw[20:])
    header_size = struct.unpack_from("<Q", body, 0)[0]
    header = json.loads(body[8:8 + header_size])
    data = body[8 + header_size:]
    dtypes = {"float32": np.float32, "float16": np.float16, "int8": np.int8}

    def tensor(t):
        dt = np.dtype(dtypes[t["dtype"]])
        return np.frombuffer(data, dtype=dt, count=t["count"], offset=t["offset"]).astype(np.float32)

    layers = []
    for l in header["layers"]:
        w = tensor(l["weight"]).reshape(l["out"], l["in"])
        if l["dtype"] == "int8":
            w = w * tensor(l["scale"]).reshape(l["out"], 1)
        lin = torch.nn.Linear(l["in"], l["out"])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(tensor(l["bias"])))
        layers.append(lin)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[header["activation"]]
    seq = []
    for i, lin in enumerate(layers):
        seq.append(lin)
        if i + 1 < len(layers):
            seq.append(act())
    net = torch.nn.Sequential(*seq).eval()
    mean = torch.from_numpy(tensor(header["feature_mean"]))
    std = torch.from_numpy(tensor(header["feature_std"]))
    return header, net, mean, std


def main():
    path, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    header, net, mean, std = load_mlp(path)
    classes = header.get("classes", [])
    classification = header["task"] == "classification"
    n_features = len(header["feature_names"])

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as wrk and mlops-serve use

        def log_message(self, *args):
            pass

        def answer(self, status, obj):
            out = json.dumps(obj, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                req = json.loads(body)
                inp = req["inputs"][0]
                rows = inp["shape"][0]
                x = torch.tensor(inp["data"], dtype=torch.float32).reshape(rows, n_features)
            except (ValueError, KeyError, IndexError, RuntimeError) as e:
                return self.answer(400, {"error": str(e)})
            with torch.no_grad():
                y = net((x - mean) / std)
            resp = {"model_name": name, "model_version": "1", "outputs": []}
            if "id" in req:
                resp["id"] = req["id"]
            if classification:
                p = torch.softmax(y, dim=1)
                labels = [classes[k] for k in torch.argmax(p, dim=1).tolist()]
                resp["outputs"] = [
                    {"name": "class", "shape": [rows], "datatype": "BYTES", "data": labels},
                    {"name": "probabilities", "shape": [rows, len(classes)], "datatype": "FP64",
                     "data": p.double().flatten().tolist()}]
            else:
                resp["outputs"] = [{"name": "value", "shape": [rows], "datatype": "FP64",
                                    "data": y.double().flatten().tolist()}]
            self.answer(200, resp)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
