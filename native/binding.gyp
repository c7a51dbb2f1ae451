{
  "targets": [
    {
      "target_name": "minictl_native",
      "sources": ["src/addon.cc", "src/fsops.c", "src/spawn.c"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-std=c++17"],
      "ldflags": ["-Wl,-z,now"]
    },
    {
      "target_name": "minictl-launcher",
      "type": "executable",
      "sources": [
        "launcher/main.c",
        "launcher/plan.c",
        "launcher/steps.c",
        "launcher/child.c",
        "launcher/creds.c",
        "launcher/relay.c",
        "launcher/util.c"
      ],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11", "-fno-strict-aliasing"]
    },
    {
      "target_name": "minictl-unpack",
      "type": "executable",
      "sources": [
        "unpack/main.c",
        "unpack/apply.c",
        "unpack/common.c",
        "unpack/pool.c",
        "unpack/source.c",
        "unpack/strmap.c",
        "unpack/tar.c"
      ],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-lz", "-lzstd", "-lcrypto"]
    }
  ]
}
