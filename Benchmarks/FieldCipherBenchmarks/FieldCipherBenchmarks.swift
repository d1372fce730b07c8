import Benchmark
import CSodium
import BuyerGuard

/// Seal + open of one 100-byte contact field through BuyerGuard, against the same work done by
/// calling libsodium directly (fresh random nonce, associated data of the same length).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 100_000)

    // 100 bytes of a realistic address line.
    let field = "Via Giuseppe Garibaldi 112, Scala B, interno 7, presso Studio Rossi & Associati, 20121 Milano (MI)IT"
    precondition(field.utf8.count == 100)

    Benchmark("seal+open 100 B field (BuyerGuard FieldCipher)") { benchmark in
        let probe = try FieldSealingProbe()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try probe.sealThenOpen(field))
        }
    }

    Benchmark("seal+open 100 B field (libsodium direct, baseline)") { benchmark in
        precondition(sodium_init() >= 0)
        var key = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&key, 32)
        let message = Array(field.utf8)
        // The same associated data BuyerGuard binds: format, version, record id, field name.
        let ad = [UInt8](repeating: 0x41, count: 7 + "o/402-1234567-1234567".utf8.count + "address-line-1".utf8.count)
        var nonce = [UInt8](repeating: 0, count: 24)
        var sealed = [UInt8](repeating: 0, count: message.count + 16)
        var opened = [UInt8](repeating: 0, count: message.count)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            randombytes_buf(&nonce, 24)
            var sealedCount: UInt64 = 0
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                &sealed, &sealedCount, message, UInt64(message.count), ad, UInt64(ad.count), nil, nonce, key)
            var openedCount: UInt64 = 0
            let status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                &opened, &openedCount, nil, sealed, sealedCount, ad, UInt64(ad.count), nonce, key)
            precondition(status == 0)
            blackHole(openedCount)
        }
    }
}
