// A caching allocator for libtorch's large CPU blocks.
//
// Why: glibc's malloc serves blocks of 128 KiB-32 MiB from its heap once a block of that size has
// been freed (its mmap threshold adapts upwards). A loop that frees large tensors while small ones
// stay alive between them then fragments the heap: a freed 16 MiB block gets a small allocation
// at its start and no longer fits the next 16 MiB request, so the heap grows by every request.
// The first certifyCROWN call on mnist-small reached 10-13 GiB of RSS that way (single-threaded:
// every block came from the main heap), and took 3-4x longer for the page faults. Below its
// threshold, freed blocks went back to the kernel instead and were faulted in again at every
// batch (~6,000 page faults per 1,000-sample smoothing batch).
//
// What: blocks of at least kMinCached bytes are mmap'd and, when libtorch frees them, kept in a
// cache of exact size classes (rounded up by at most 1/8) for the next request of that class; the
// cache holds at most ABSTAIN_CPU_CACHE_MB (default 256) MiB, least recently freed blocks going
// back to the kernel first. Large blocks never enter glibc's heap, so they cannot fragment it,
// and reused blocks are already faulted in. Smaller blocks go to posix_memalign as in libtorch's
// own allocator. ABSTAIN_CPU_CACHE_MB=0 keeps libtorch's allocator.
#include "common.h"
#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace abstain {

namespace {

constexpr size_t kMinCached = size_t(1) << 20;  // 1 MiB
constexpr size_t kAlignment = 64;               // libtorch's CPU alignment (AVX-512)

struct Stats {
  size_t cachedBytes = 0, liveBytes = 0, hits = 0, misses = 0, released = 0;
};

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t limit) : limit_(limit) {}

  // libtorch 1.13 declares allocate() const, 2.x non-const: one of these two overrides it.
  c10::DataPtr allocate(size_t n) const { return Allocate(n); }
  c10::DataPtr allocate(size_t n) { return Allocate(n); }
  // Pure virtual in libtorch 2.x (absent in 1.13).
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
  // The context is the data pointer, so libtorch's raw_allocate/raw_deallocate work too.
  c10::DeleterFnPtr raw_deleter() const override { return &Delete; }

  static CachingCpuAllocator* instance;

  Stats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  struct Block {
    size_t size;
    void* ptr;
  };

  // Rounds n up to a size class: multiples of 1/8 of its power of two.
  static size_t SizeClass(size_t n) {
    size_t p = size_t(1) << (63 - __builtin_clzll(n));
    size_t step = p >> 3;
    return (n + step - 1) / step * step;
  }

  c10::DataPtr Allocate(size_t n) const { return const_cast<CachingCpuAllocator*>(this)->AllocateImpl(n); }

  c10::DataPtr AllocateImpl(size_t n) {
    c10::Device cpu(c10::DeviceType::CPU);
    if (n == 0) return c10::DataPtr(nullptr, nullptr, &Delete, cpu);
    if (n < kMinCached) {
      void* p = nullptr;
      if (posix_memalign(&p, kAlignment, n) != 0 || !p) throw std::bad_alloc();
      return c10::DataPtr(p, p, &Delete, cpu);
    }
    size_t size = SizeClass(n);
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        auto lit = it->second.back();
        it->second.pop_back();
        p = lit->ptr;
        lru_.erase(lit);
        stats_.cachedBytes -= size;
        stats_.hits++;
      } else {
        stats_.misses++;
      }
      if (p) {
        live_[p] = size;
        stats_.liveBytes += size;
      }
    }
    if (!p) {
      p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        ReleaseAll();  // give the cache back and try once more
        p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      live_[p] = size;
      stats_.liveBytes += size;
    }
    return c10::DataPtr(p, p, &Delete, cpu);
  }

  static void Delete(void* p) {
    if (!p) return;
    if (!instance->Free(p)) std::free(p);
  }

  // Returns false when p is not one of this cache's blocks (a posix_memalign'd one).
  bool Free(void* p) {
    std::vector<Block> unmap;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(p);
      if (it == live_.end()) return false;
      size_t size = it->second;
      live_.erase(it);
      stats_.liveBytes -= size;
      if (size > limit_ / 2) {
        unmap.push_back({size, p});  // too large to keep: one such block would fill the cache
      } else {
        lru_.push_front({size, p});
        free_[size].push_back(lru_.begin());
        stats_.cachedBytes += size;
        while (stats_.cachedBytes > limit_) {
          Block old = lru_.back();
          auto& v = free_[old.size];
          for (auto vi = v.begin(); vi != v.end(); ++vi) {
            if ((*vi)->ptr == old.ptr) {
              v.erase(vi);
              break;
            }
          }
          lru_.pop_back();
          stats_.cachedBytes -= old.size;
          unmap.push_back(old);
        }
      }
      stats_.released += unmap.size();
    }
    for (const Block& b : unmap) munmap(b.ptr, b.size);
    return true;
  }

  void ReleaseAll() {
    std::vector<Block> unmap;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      unmap.assign(lru_.begin(), lru_.end());
      lru_.clear();
      free_.clear();
      stats_.cachedBytes = 0;
      stats_.released += unmap.size();
    }
    for (const Block& b : unmap) munmap(b.ptr, b.size);
  }

  const size_t limit_;
  std::mutex mutex_;
  std::list<Block> lru_;  // cached blocks, most recently freed first
  std::unordered_map<size_t, std::vector<std::list<Block>::iterator>> free_;
  std::unordered_map<void*, size_t> live_;  // blocks handed out, with their size class
  Stats stats_;
};

CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;

}  // namespace

// Installs the cache as libtorch's CPU allocator (once, at addon load), unless
// ABSTAIN_CPU_CACHE_MB=0. Tensors allocated before keep their own deleter, so mixing is safe.
void InstallCpuAllocator() {
  const char* env = std::getenv("ABSTAIN_CPU_CACHE_MB");
  long mb = env ? std::strtol(env, nullptr, 10) : 256;
  if (mb <= 0 || CachingCpuAllocator::instance) return;
  CachingCpuAllocator::instance = new CachingCpuAllocator(size_t(mb) << 20);  // lives as long as the process
  c10::SetCPUAllocator(CachingCpuAllocator::instance, /*priority=*/10);
#if defined(__GLIBC__)
  // Fix glibc's mmap threshold (no adaptive rise to 32 MiB) so that other large blocks (e.g. the
  // ArrayBuffers of values read back into JS) stay out of its heap too.
  mallopt(M_MMAP_THRESHOLD, int(kMinCached));
#endif
}

// cpuCacheStats(): { enabled, cachedBytes, liveBytes, hits, misses, released } of the cache.
static ABSTAIN_FN(CpuCacheStats) {
  ABSTAIN_BODY(
    auto env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("enabled", Napi::Boolean::New(env, CachingCpuAllocator::instance != nullptr));
    Stats s = CachingCpuAllocator::instance ? CachingCpuAllocator::instance->stats() : Stats{};
    o.Set("cachedBytes", Napi::Number::New(env, (double)s.cachedBytes));
    o.Set("liveBytes", Napi::Number::New(env, (double)s.liveBytes));
    o.Set("hits", Napi::Number::New(env, (double)s.hits));
    o.Set("misses", Napi::Number::New(env, (double)s.misses));
    o.Set("released", Napi::Number::New(env, (double)s.released));
    return o;
  )
}

void RegisterAllocator(Napi::Env env, Napi::Object exports) { ABSTAIN_EXPORT(exports, "cpuCacheStats", CpuCacheStats); }

}  // namespace abstain
