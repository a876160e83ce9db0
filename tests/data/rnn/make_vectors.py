#!/usr/bin/python3
"""Expected values of graphc's LSTM, GRU, LSTMGrad and GRUGrad, from PyTorch's
torch.nn.LSTM and torch.nn.GRU (an external oracle for the reference and the
oneDNN kernels, forward and backward; tests/rnn_ops_test.cc reads them).

One bidirectional geometry, T 5, N 3, I 4, H 6 (odd sizes, no vector width
divides them), with biases and initial states. The loss whose gradients are
taken is sum(Y * dY) + sum(Y_h * dY_h) (+ sum(Y_c * dY_c)), so the gradients
are what LSTMGrad/GRUGrad compute from the output gradients dY, dY_h, dY_c.

PyTorch's parameters are moved into ONNX's order: LSTM gates i, f, g, o
become i, o, f, c; GRU gates r, z, n become z, r, h, and PyTorch's GRU is
ONNX's with linear_before_reset = 1. b_ih and b_hh are Wb and Rb. Y [T, N, 2H]
becomes [T, 2, N, H]. Inputs are drawn in float32; PyTorch computes in
float64 from them, and the expected values are rounded to float32 once.

Files (f32 .npy), for CELL in lstm, gru:
  CELL_x [T,N,I], CELL_w [2,G*H,I], CELL_r [2,G*H,H], CELL_b [2,2*G*H],
  CELL_h0 [2,N,H] (lstm_c0), CELL_dy [T,2,N,H], CELL_dyh [2,N,H] (lstm_dyc):
    the inputs;
  CELL_y, CELL_yh (lstm_yc): the forward outputs;
  CELL_dx, CELL_dw, CELL_dr, CELL_db, CELL_dh0 (lstm_dc0): the gradients.

Run: /usr/bin/python3 tests/data/rnn/make_vectors.py
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
T, N, I, H = 5, 3, 4, 6
# ONNX gate k is PyTorch gate ORDER[k] (PyTorch's gates are H rows each).
ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}


def to_onnx(rows: torch.Tensor, cell: str) -> torch.Tensor:
    return torch.cat([rows[g * H:(g + 1) * H] for g in ORDER[cell]])


def save(name: str, value) -> None:
    array = value.detach().numpy() if isinstance(value, torch.Tensor) else value
    np.save(os.path.join(HERE, f"{name}.npy"), np.ascontiguousarray(array, dtype=np.float32))


def main() -> None:
    rng = np.random.default_rng(7)
    f32 = lambda *shape: torch.from_numpy(rng.uniform(-0.8, 0.8, shape).astype(np.float32)).double()
    for cell in ("lstm", "gru"):
        lstm = cell == "lstm"
        module = (torch.nn.LSTM if lstm else torch.nn.GRU)(I, H, bidirectional=True).double()
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(f32(*p.shape))
        x = f32(T, N, I).requires_grad_()
        h0 = f32(2, N, H).requires_grad_()
        c0 = f32(2, N, H).requires_grad_()
        dy, dyh, dyc = f32(T, 2, N, H), f32(2, N, H), f32(2, N, H)
        if lstm:
            out, (yh, yc) = module(x, (h0, c0))
        else:
            out, yh = module(x, h0)
        y = out.reshape(T, N, 2, H).permute(0, 2, 1, 3)
        loss = (y * dy).sum() + (yh * dyh).sum() + ((yc * dyc).sum() if lstm else 0)
        loss.backward()

        def stacked(name: str, grad: bool = False) -> torch.Tensor:
            params = [getattr(module, name + suffix) for suffix in ("", "_reverse")]
            return torch.stack([to_onnx(p.grad if grad else p, cell) for p in params])

        def bias(grad: bool = False) -> torch.Tensor:
            return torch.cat([stacked("bias_ih_l0", grad), stacked("bias_hh_l0", grad)], dim=1)

        save(f"{cell}_x", x)
        save(f"{cell}_w", stacked("weight_ih_l0"))
        save(f"{cell}_r", stacked("weight_hh_l0"))
        save(f"{cell}_b", bias())
        save(f"{cell}_h0", h0)
        save(f"{cell}_dy", dy)
        save(f"{cell}_dyh", dyh)
        save(f"{cell}_y", y)
        save(f"{cell}_yh", yh)
        save(f"{cell}_dx", x.grad)
        save(f"{cell}_dw", stacked("weight_ih_l0", True))
        save(f"{cell}_dr", stacked("weight_hh_l0", True))
        save(f"{cell}_db", bias(True))
        save(f"{cell}_dh0", h0.grad)
        if lstm:
            save("lstm_c0", c0)
            save("lstm_dyc", dyc)
            save("lstm_yc", yc)
            save("lstm_dc0", c0.grad)
    print(f"wrote the vectors of LSTM and GRU (torch {torch.__version__}) to {HERE}")


if __name__ == "__main__":
    main()
