{
  "targets": [
    {
      "target_name": "abstain_native",
      "sources": ["native/addon.cc", "native/tensors.cc", "native/math.cc", "native/nn.cc", "native/autograd_rng.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/torch/csrc/api/include"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "_GLIBCXX_USE_CXX11_ABI=1"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"]
    }
  ]
}
