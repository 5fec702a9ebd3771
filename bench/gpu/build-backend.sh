#!/usr/bin/env bash
# Build llama.cpp's CUDA backend (libggml-cuda.so, sm_90) on the GPU machine from the ggml source
# node-llama-cpp 3.21.1 ships, with extra cmake options — to compare kernel paths, e.g.
#   bash bench/gpu/build-backend.sh ggml-src.tar.xz out-dir -DGGML_CUDA_FORCE_CUBLAS=ON
# ggml-src.tar.xz: ggml/{CMakeLists.txt,cmake,include,src/{*.c,*.cpp,*.h,*.in,CMakeLists.txt,ggml-cuda,ggml-cpu}}
# of that source (node-llama-cpp/llama/gitRelease.bundle). Needs cmake/ninja (/opt/torch/.venv/bin), gcc 13 (/opt/gcc), nvcc.
set -euo pipefail
src=$1; out=$2; shift 2
work=$(mktemp -d)
xz -dc "$src" | tar -x -C "$work"
touch "$work/ggml/ggml.pc.in"
export PATH=/opt/torch/.venv/bin:/usr/local/cuda-13.0/bin:/opt/gcc/bin:$PATH
nvcc=$(command -v nvcc || ls /usr/local/cuda*/bin/nvcc | head -1)
cmake -S "$work/ggml" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON \
  -DGGML_NATIVE=OFF -DGGML_CPU=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90-real -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON "$@" > "$out.cmake.log" 2>&1
ninja -C "$work/build" -j"${JOBS:-16}" ggml-cuda > "$out.ninja.log" 2>&1
mkdir -p "$out"
cp "$(find "$work/build" -name 'libggml-cuda.so' | head -1)" "$out/"
rm -rf "$work"
echo "build-backend: $out/libggml-cuda.so ($(du -h "$out/libggml-cuda.so" | cut -f1))"
