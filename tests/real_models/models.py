"""The real models of the end-to-end tests and of the benchmarks, defined once.

Each model is built from a fixed seed with untrained (randomly initialised)
weights: torchvision's architectures with weights=None, since nothing can be
downloaded, and a pre-norm transformer encoder block written out here so that
its ONNX form (MatMul, Reshape, Transpose, Softmax, LayerNormalization, the
Erf form of GELU) is the one PyTorch's exporter gives for such blocks.

`build(name)` returns the model in eval mode and an input of the right shape;
tests/real_models/export_models.py writes them as ONNX with PyTorch's expected
output, bench/peer_pytorch.py times the same modules.
"""
import math

import torch
from torch import nn

# name -> (architecture, keyword arguments). The "encoder_block_small" is the
# test's transformer block (fast enough for every CI run); "encoder_block" is
# issue 4's benchmark block (BERT-base sized).
CONFIGS = {
    "resnet18": ("resnet18", {"batch": 1}),
    "mobilenet_v2": ("mobilenet_v2", {"batch": 1}),
    "encoder_block_small": ("encoder_block", {"d_model": 256, "heads": 4, "ffn": 1024, "seq": 64, "batch": 2}),
    "encoder_block": ("encoder_block", {"d_model": 768, "heads": 12, "ffn": 3072, "seq": 128, "batch": 1}),
}


class EncoderBlock(nn.Module):
    """Pre-norm transformer encoder block (as in GPT-2 / ViT):
    x + Attention(LN(x)), then h + FFN(LN(h)) with a GELU between the two
    linear layers. Self-attention without a mask; dropout is absent (eval)."""

    def __init__(self, d_model: int, heads: int, ffn: int):
        super().__init__()
        assert d_model % heads == 0
        self.heads = heads
        self.head_dim = d_model // heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, ffn)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(ffn, d_model)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        qkv = self.qkv(x).reshape(b, s, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]                       # [b, heads, s, head_dim]
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        weights = torch.softmax(scores, dim=-1)
        context = torch.matmul(weights, v).transpose(1, 2).reshape(b, s, d)
        return self.proj(context)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self.attention(self.norm1(x))
        return h + self.fc2(self.act(self.fc1(self.norm2(h))))


def randomize_batch_norms(net: nn.Module) -> None:
    """Gives every BatchNorm non-trivial statistics and affine parameters.

    Freshly initialised, a BatchNorm in eval mode is almost the identity
    (mean 0, variance 1, scale 1, shift 0), which would hide a wrong fold of
    its statistics into the convolution before it."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)


def build(name: str, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """The model `name` of CONFIGS in eval mode, and its input (both from `seed`)."""
    if name not in CONFIGS:
        raise SystemExit(f"unknown model {name!r} (one of {', '.join(CONFIGS)})")
    arch, cfg = CONFIGS[name]
    torch.manual_seed(seed)
    if arch == "encoder_block":
        net = EncoderBlock(cfg["d_model"], cfg["heads"], cfg["ffn"])
        x = torch.randn(cfg["batch"], cfg["seq"], cfg["d_model"])
    else:
        import torchvision  # only the CNNs need it
        net = getattr(torchvision.models, arch)(weights=None)
        randomize_batch_norms(net)
        x = torch.randn(cfg["batch"], 3, 224, 224)
    net.eval()
    return net, x
