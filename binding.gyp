{
  "targets": [
    {
      "target_name": "abstain_native",
      "sources": ["native/addon.cc", "native/tensors.cc", "native/math.cc", "native/nn.cc", "native/autograd_rng.cc", "native/device.cc", "native/allocator.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs --gyp include)"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "<!@(node scripts/libtorch.mjs --gyp defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": ["<!@(node scripts/libtorch.mjs --gyp libraries)"]
    }
  ]
}
