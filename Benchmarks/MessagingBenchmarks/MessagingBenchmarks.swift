import Benchmark
import BuyerGuard
import BuyerGuardMessaging

/// Checking a 1 KB buyer message (Italian, with a tracking link and a few violations).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(5))
    let order = try! OrderID("402-1234567-1234567")
    var message = """
        Gentile cliente,
        la spedizione del suo ordine 402-1234567-1234567 subirà un ritardo di due giorni a causa dello sciopero dei corrieri \
        nella zona di Bologna. Il pacco è già stato affidato a BRT e può seguirne il percorso qui: \
        https://vas.brt.it/vas/sped_det_show.hsm?referer=sped_numspe_par.htm&ChiSono=123456789012. \
        Ci scusiamo per il disagio e restiamo a disposizione per qualsiasi domanda sul suo acquisto: può rispondere \
        direttamente a questo messaggio. Se lo desidera, può lasciare una recensione onesta sul prodotto.
        Usi il codice sconto GRAZIE10 per il suo prossimo acquisto e visiti www.bottegarossi.it!
        Cordiali saluti,
        Il team di Bottega Rossi

        """
    while message.utf8.count < 1024 { message += "Grazie ancora per aver scelto i nostri prodotti artigianali. " }
    let text = String(message.utf8.prefix(1024))!
    let checker = MessageChecker()

    Benchmark("check a 1 KB message") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(checker.check(text, purpose: .order(.shipmentDelay), orderID: order))
        }
    }

    // The same without the statistical layer: the layer's cost, measured in the same run.
    var rulesOnly = MessageChecker()
    rulesOnly.usesStatisticalLayer = false
    Benchmark("check a 1 KB message, rules only") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(rulesOnly.check(text, purpose: .order(.shipmentDelay), orderID: order))
        }
    }

    // Reading and parsing the statistical layer's resource (done once per process).
    Benchmark("load the statistical layer", configuration: .init(metrics: [.wallClock, .peakMemoryResident], scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(MessageChecker.readStatisticalLayer())
        }
    }
}
