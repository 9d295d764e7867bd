// Pull streams as the daemons send them, shared by the decoder and pull_image tests.
#pragma once

#include <string>

namespace samples {

// docker pull localhost:5000/multi:1 against Docker 20.10 (two layers), trimmed.
inline const std::string docker_pull =
    "{\"status\":\"Pulling from multi\",\"id\":\"1\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a3ed95caeb02\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"9d48c3bd43c5\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":32768,\"total\":524288},"
    "\"progress\":\"[===\\u003e    ]  32.77kB/524.3kB\",\"id\":\"a3ed95caeb02\"}\r\n"
    "{\"status\":\"Verifying Checksum\",\"progressDetail\":{},\"id\":\"a3ed95caeb02\"}\r\n"
    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"a3ed95caeb02\"}\r\n"
    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":524288,\"total\":524288},"
    "\"progress\":\"[==================================================\\u003e]  524.3kB/524.3kB\",\"id\":\"a3ed95caeb02\"}\r\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"a3ed95caeb02\"}\r\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"9d48c3bd43c5\"}\r\n"
    "{\"status\":\"Digest: sha256:5f0e8f8d0b0e4e3c9a1e0d2c3b4a59687766554433221100ffeeddccbbaa9988\"}\r\n"
    "{\"status\":\"Status: Downloaded newer image for localhost:5000/multi:1\"}\r\n";

// A corrupted layer: progress first, then the error, as Docker sends it.
inline const std::string docker_corrupt_layer =
    "{\"status\":\"Pulling from corrupt\",\"id\":\"1\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"0b1f2c3d4e5f\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1024,\"total\":1048576},\"id\":\"0b1f2c3d4e5f\"}\r\n"
    "{\"errorDetail\":{\"message\":\"filesystem layer verification failed for digest sha256:0b1f\"},"
    "\"error\":\"filesystem layer verification failed for digest sha256:0b1f\"}\r\n";

// Podman answers 200 and reports a missing tag inside the stream, with no status line.
inline const std::string podman_missing_tag =
    "{\"status\":\"Trying to pull localhost:5000/demo:2...\"}\n"
    "{\"error\":\"reading manifest 2 in localhost:5000/demo: manifest unknown\","
    "\"errorDetail\":{\"message\":\"reading manifest 2 in localhost:5000/demo: manifest unknown\"}}\n";

// docker pull localhost:5000/demo:progress against Docker 20.10: one layer already present, two
// downloaded side by side with progress, an aux message with the digest, trimmed.
inline const std::string docker_pull_progress =
    "{\"status\":\"Pulling from demo\",\"id\":\"progress\"}\r\n"
    "{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"5d0aeceef7ee\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":540672,\"total\":3401613},"
    "\"progress\":\"[=======\\u003e                                           ]  540.7kB/3.402MB\",\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1081344,\"total\":29124123},"
    "\"progress\":\"[=\\u003e                                                 ]  1.081MB/29.12MB\",\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":3401613,\"total\":3401613},"
    "\"progress\":\"[==================================================\\u003e]  3.402MB/3.402MB\",\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Verifying Checksum\",\"progressDetail\":{},\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":393216,\"total\":3401613},"
    "\"progress\":\"[=====\\u003e                                             ]  393.2kB/3.402MB\",\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":15204352,\"total\":29124123},"
    "\"progress\":\"[==========================\\u003e                        ]   15.2MB/29.12MB\",\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":3401613,\"total\":3401613},"
    "\"progress\":\"[==================================================\\u003e]  3.402MB/3.402MB\",\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"2a8f1e6b3c9d\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":29124123,\"total\":29124123},"
    "\"progress\":\"[==================================================\\u003e]  29.12MB/29.12MB\",\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Verifying Checksum\",\"progressDetail\":{},\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":14745600,\"total\":29124123},"
    "\"progress\":\"[=========================\\u003e                         ]  14.75MB/29.12MB\",\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":29124123,\"total\":29124123},"
    "\"progress\":\"[==================================================\\u003e]  29.12MB/29.12MB\",\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"7c3b9e0f4d21\"}\r\n"
    "{\"aux\":{\"Digest\":\"sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\"}}\r\n"
    "{\"status\":\"Digest: sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\"}\r\n"
    "{\"status\":\"Status: Downloaded newer image for localhost:5000/demo:progress\"}\r\n";

}  // namespace samples
