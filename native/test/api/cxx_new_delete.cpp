// cxx_new_delete - C++ allocation through the replaced malloc.
//
// libstdc++'s operator new/delete call malloc/free (and aligned_alloc / free for the
// align_val_t forms), so under LD_PRELOAD every one of these must land in hakmem.
// Covers: new/delete, new[]/delete[], sized delete, std::vector / std::string / std::map /
// std::unordered_map churn, over-aligned types (alignas(64), alignas(4096)) and explicit
// operator new(size, std::align_val_t); nothrow new of an impossible size.
// Prints each failure and exits 1 if any; prints "cxx_new_delete: ok ..." otherwise.
// (native/test/api/api.test.ts also checks, through HAKMEM_STATS / HAKMEM_VERBOSE, that the
// preloaded allocator really served these allocations.)
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

static unsigned long g_checks, g_failures;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        g_checks++;                                                                       \
        if (!(cond)) {                                                                    \
            g_failures++;                                                                 \
            if (g_failures <= 40) {                                                       \
                std::fprintf(stderr, "cxx_new_delete: FAIL %s:%d: ", __FILE__, __LINE__); \
                std::fprintf(stderr, __VA_ARGS__);                                        \
                std::fputc('\n', stderr);                                                 \
            }                                                                             \
        }                                                                                 \
    } while (0)

static inline void escape(const void *p) { __asm__ volatile("" : : "g"(p) : "memory"); }

static bool aligned(const void *p, std::size_t a) { return (reinterpret_cast<std::uintptr_t>(p) & (a - 1)) == 0; }

struct Node {
    std::uint64_t a, b;
    Node *next;
    explicit Node(std::uint64_t v) : a(v), b(~v), next(nullptr) {}
};

struct alignas(64) Line {
    unsigned char bytes[64];
};

struct alignas(4096) Page {
    unsigned char bytes[4096];
};

static void test_new_delete()
{
    // singles, in a linked list freed in allocation order
    Node *head = nullptr;
    for (std::uint64_t i = 0; i < 20000; i++) {
        Node *n = new Node(i);
        CHECK(aligned(n, 16), "new Node = %p not 16-byte aligned", static_cast<void *>(n));
        n->next = head;
        head = n;
    }
    std::uint64_t expect = 19999;
    while (head) {
        Node *n = head;
        CHECK(n->a == expect && n->b == ~expect, "Node %llu damaged", static_cast<unsigned long long>(expect));
        head = n->next;
        delete n;
        expect--;
    }
    // arrays of many sizes
    for (std::size_t n = 0; n < 5000; n += 7) {
        int *a = new int[n + 1];
        for (std::size_t i = 0; i <= n; i++) a[i] = static_cast<int>(i * 3);
        escape(a);
        for (std::size_t i = 0; i <= n; i++)
            if (a[i] != static_cast<int>(i * 3)) {
                CHECK(false, "new int[%zu]: element %zu damaged", n + 1, i);
                break;
            }
        CHECK(malloc_usable_size(a) >= (n + 1) * sizeof(int), "usable size of new int[%zu] too small", n + 1);
        delete[] a;
    }
    // large arrays (mid and large paths)
    for (std::size_t n = 1 << 12; n <= (1 << 22); n <<= 1) {
        char *a = new char[n + 3];
        std::memset(a, 0x5c, n + 3);
        escape(a);
        CHECK(a[0] == 0x5c && a[n + 2] == 0x5c, "new char[%zu] damaged", n + 3);
        delete[] a;
    }
    // nothrow new of an impossible size returns nullptr
    volatile std::size_t huge = SIZE_MAX / 2;
    char *x = new (std::nothrow) char[huge];
    CHECK(x == nullptr, "new (nothrow) char[SIZE_MAX/2] = %p, want nullptr", static_cast<void *>(x));
    delete[] x;
    bool threw = false;
    try {
        char *y = new char[huge];
        escape(y);
        delete[] y;
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw, "new char[SIZE_MAX/2] did not throw std::bad_alloc");
}

static void test_aligned_new()
{
    std::vector<Line *> lines;
    for (int i = 0; i < 3000; i++) {
        Line *l = new Line;
        CHECK(aligned(l, 64), "new alignas(64) Line = %p", static_cast<void *>(l));
        std::memset(l->bytes, i & 0xff, sizeof(l->bytes));
        lines.push_back(l);
    }
    for (int i = 0; i < 3000; i++) {
        CHECK(lines[i]->bytes[0] == (i & 0xff) && lines[i]->bytes[63] == (i & 0xff), "Line %d damaged", i);
        delete lines[i];
    }
    Line *arr = new Line[100];
    CHECK(aligned(arr, 64), "new Line[100] = %p not 64-byte aligned", static_cast<void *>(arr));
    delete[] arr;
    for (int i = 0; i < 50; i++) {
        Page *p = new Page;
        CHECK(aligned(p, 4096), "new alignas(4096) Page = %p", static_cast<void *>(p));
        std::memset(p->bytes, 1, sizeof(p->bytes));
        escape(p);
        delete p;
    }
    for (std::size_t al = 16; al <= (std::size_t(1) << 21); al <<= 1) {
        for (std::size_t sz : { std::size_t(1), al / 2 + 1, al, 3 * al + 5 }) {
            void *p = ::operator new(sz, std::align_val_t(al));
            CHECK(aligned(p, al), "operator new(%zu, align_val_t(%zu)) = %p", sz, al, p);
            std::memset(p, 0x7e, sz);
            escape(p);
            ::operator delete(p, sz, std::align_val_t(al));
            void *q = ::operator new[](sz, std::align_val_t(al), std::nothrow);
            CHECK(q && aligned(q, al), "operator new[](%zu, align_val_t(%zu), nothrow) = %p", sz, al, q);
            ::operator delete[](q, std::align_val_t(al));
        }
    }
}

static void test_containers()
{
    std::uint64_t digest = 1469598103934665603ULL;
    for (int round = 0; round < 20; round++) {
        std::vector<std::uint64_t> v;
        for (int i = 0; i < 50000; i++) v.push_back(static_cast<std::uint64_t>(i) * (round + 1));
        std::vector<std::string> s;
        for (int i = 0; i < 5000; i++)
            s.emplace_back(std::string(static_cast<std::size_t>(i % 300), static_cast<char>('a' + i % 26)) +
                           std::to_string(i));
        std::map<std::string, int> m;
        for (int i = 0; i < 5000; i++) m[s[static_cast<std::size_t>(i)]] += i;
        std::unordered_map<std::uint64_t, std::string> um;
        for (int i = 0; i < 5000; i++) um.emplace(v[static_cast<std::size_t>(i)], s[static_cast<std::size_t>(i)]);
        for (auto &kv : m)
            digest = (digest ^ (kv.first.size() + static_cast<std::size_t>(kv.second))) * 1099511628211ULL;
        for (int i = 0; i < 5000; i += 3)
            digest = (digest ^ um[v[static_cast<std::size_t>(i)]].size()) * 1099511628211ULL;
        std::string big;
        for (int i = 0; i < 20000; i++) big += s[static_cast<std::size_t>(i % 5000)].substr(0, 3);
        digest = (digest ^ big.size()) * 1099511628211ULL;
        v.clear();
        v.shrink_to_fit();
        std::vector<std::unique_ptr<Node>> owned;
        for (int i = 0; i < 10000; i++) owned.push_back(std::make_unique<Node>(static_cast<std::uint64_t>(i)));
        std::uint64_t sum = 0;
        for (auto &n : owned) sum += n->a;
        CHECK(sum == 49995000ULL, "unique_ptr<Node> sum %llu", static_cast<unsigned long long>(sum));
    }
    std::printf("cxx_new_delete: digest=%016llx\n", static_cast<unsigned long long>(digest));
}

int main()
{
    test_new_delete();
    test_aligned_new();
    test_containers();
    if (g_failures) {
        std::fprintf(stderr, "cxx_new_delete: %lu of %lu checks FAILED\n", g_failures, g_checks);
        std::printf("cxx_new_delete: FAIL (%lu of %lu checks failed)\n", g_failures, g_checks);
        return 1;
    }
    std::printf("cxx_new_delete: ok (%lu checks)\n", g_checks);
    return 0;
}
