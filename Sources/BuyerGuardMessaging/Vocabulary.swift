/// The words each rule looks for, in Italian, English, German, French and Spanish, folded
/// (lowercase, no accents). A phrase is a run of whole words; `*` at the end of a word matches any
/// ending (`rimborsat*` matches rimborsato, rimborsata, rimborsati).
enum Vocabulary {
    static let optOut = phrases("""
        disiscriv*|disiscrizione|annulla l iscrizione|cancella l iscrizione|annullare l iscrizione|non ricevere piu|\
        non desideri piu ricevere|rimuoverti dalla lista|rimuovere dalla nostra lista|\
        unsubscribe|unsubscribing|opt out|optout|stop receiving|no longer wish to receive|remove you from our list|manage your subscription|\
        abmelden|abzumelden|abbestellen|abzubestellen|abmeldung|austragen|nicht mehr erhalten|keine weiteren e mails|\
        desabonner|desinscrire|desabonnement|desinscription|ne plus recevoir|vous desinscrire|\
        darse de baja|darte de baja|date de baja|cancelar la suscripcion|dejar de recibir|baja de la lista
        """)

    static let marketing = phrases("""
        codice sconto|codice promozionale|codice coupon|coupon|nuova collezione|nuovi arrivi|nuovi prodotti|offerta speciale|offerte speciali|\
        in promozione|promozione esclusiva|saldi|black friday|cyber monday|newsletter|seguici su|seguiteci|visita il nostro negozio|\
        visita il nostro sito|visiti il nostro|visitate il nostro|scopri i nostri|scopri la nostra|scopri le nostre|altri nostri prodotti|altri prodotti|ti potrebbe interessare|\
        potrebbero interessarti|\
        discount code|promo code|coupon code|voucher code|new collection|new arrivals|special offer|special offers|exclusive offer|\
        follow us|visit our store|visit our shop|visit our website|check out our|our other products|you might also like|you may also like|\
        rabattcode|gutscheincode|aktionscode|neue kollektion|neuheiten|sonderangebot|sonderangebote|folgen sie uns|besuchen sie unseren|besuchen sie unsere|\
        entdecken sie unsere|weitere produkte|unsere anderen produkte|\
        code promo|code de reduction|nouvelle collection|nouveautes|offre speciale|offres speciales|suivez nous|visitez notre|decouvrez nos|\
        decouvrez notre|nos autres produits|soldes|\
        codigo de descuento|codigo promocional|cupon|nueva coleccion|novedades|oferta especial|ofertas especiales|siguenos|\
        visita nuestra tienda|visita nuestra web|visite nuestra|descubre nuestros|descubre nuestra|otros productos|nuestros otros productos|rebajas
        """)

    /// Discount words that are promotion only next to a "next purchase" or a code.
    static let discountWords: Set<String> = ["sconto", "sconti", "discount", "rabatt", "remise", "reduction", "descuento", "off"]
    static let futurePurchase = phrases("""
        prossimo acquisto|prossimo ordine|prossimi acquisti|next purchase|next order|future purchase|nachsten einkauf|nachste bestellung|\
        prochain achat|prochaine commande|proxima compra|proximo pedido
        """)

    static let reviewWords: Set<String> = [
        "recensione", "recensioni", "valutazione", "valutazioni", "feedback", "stelle", "review", "reviews", "rating", "ratings", "stars",
        "bewertung", "bewertungen", "rezension", "sterne", "avis", "evaluation", "etoiles", "commentaire", "resena", "resenas",
        "opinion", "valoracion", "estrellas",
    ]
    static let positiveReview = phrases("""
        positiva|positive|positivo|positivi|5 stelle|cinque stelle|ottima recensione|massimo dei voti|\
        5 star|five star|5 stars|five stars|good review|great review|glowing|\
        positive bewertung|5 sterne|funf sterne|gute bewertung|\
        positif|5 etoiles|cinq etoiles|bon avis|\
        5 estrellas|cinco estrellas|buena resena|buena valoracion
        """)
    static let onlySatisfied = phrases("""
        se sei soddisfatt*|se siete soddisfatt*|se e soddisfatt*|se e rimasto soddisfatt*|se sei rimasto soddisfatt*|se sei contento|se e contento|se ti e piaciut*|se hai apprezzato|clienti soddisfatti|solo se|\
        if you are happy|if you re happy|if you are satisfied|if you enjoyed|if you liked|if you love|happy customers|satisfied customers|only if|\
        wenn sie zufrieden|falls sie zufrieden|wenn ihnen|zufriedene kunden|nur wenn|\
        si vous etes satisfait*|si vous avez aime|si vous etes content*|clients satisfaits|seulement si|\
        si estas satisfech*|si esta satisfech*|si te ha gustado|si le ha gustado|clientes satisfechos|solo si
        """)
    static let strongIncentive = phrases("""
        buono|buono regalo|gift card|carta regalo|omaggio|gratis|gratuito|gratuita|in cambio|premio|ricompensa|\
        voucher|free|in exchange|reward|gift|\
        gutschein|kostenlos|geschenk|als dank|im gegenzug|\
        bon d achat|carte cadeau|gratuit|gratuite|cadeau|en echange|recompense|\
        cheque regalo|tarjeta regalo|gratis|regalo|a cambio|recompensa
        """)
    static let weakIncentive: Set<String> = [
        "rimborso", "rimborsare", "rimborseremo", "sconto", "refund", "reimburse", "reimbursement", "discount", "erstattung", "erstatten",
        "rabatt", "remboursement", "rembourser", "remise", "reembolso", "reembolsar", "descuento",
    ]
    static let forWords: Set<String> = ["per", "for", "fur", "pour", "por", "gegen", "para"]
    static let honest: Set<String> = ["onesta", "onesto", "sincera", "honest", "ehrliche", "ehrlich", "honnete", "sincere", "honesta", "sincera"]

    static let adjusted = phrases("""
        rimborsat*|rimborso|importo rettificat*|importo adeguat*|rettificat*|stornat*|addebitat*|\
        refund*|adjusted|adjustment|reimbursed|\
        erstattet|ruckerstattet|erstattung|angepasst|\
        rembourse*|remboursement|ajuste*|\
        reembolsad*|reembolso|ajustad*|ajuste
        """)
    static let unavailableReason = phrases("""
        noinventory|couldnotship|non disponibile|non piu disponibile|esaurit*|fuori stock|non e disponibile|impossibile spedire|\
        non possiamo spedire|non siamo in grado di spedire|\
        out of stock|no longer available|unavailable|not available|could not ship|cannot ship|unable to ship|\
        nicht vorratig|nicht lieferbar|ausverkauft|nicht verfugbar|nicht versenden|\
        rupture de stock|plus disponible|indisponible|impossible d expedier|pas disponible|\
        agotado|agotada|sin stock|no disponible|no podemos enviar|no se pudo enviar|no esta disponible
        """)
    static let returned = phrases("""
        reso|resi|restituit*|rispedit*|\
        returned|return|\
        zuruckgesendet|rucksendung|zuruckgeschickt|retoure|\
        retour|retourne*|renvoye*|\
        devuelto|devuelta|devolucion|devueltos
        """)
    static let months: Set<String> = [
        "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
        "januar", "februar", "marz", "mai", "juni", "juli", "oktober", "dezember",
        "janvier", "fevrier", "mars", "avril", "juin", "juillet", "aout", "septembre", "octobre", "decembre",
        "enero", "febrero", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ]
    static let currency: Set<String> = ["eur", "euro", "euros", "gbp", "usd", "pln", "sek", "chf"]

    /// Words that introduce an obfuscated domain (`negozio punto it`, `shop [dot] com`).
    static let dotWords: Set<String> = ["dot", "punto", "punkt", "point"]
    static let topLevelDomains: Set<String> = [
        "com", "it", "de", "fr", "es", "eu", "net", "org", "uk", "shop", "store", "info", "io", "co", "at", "ch", "nl", "be", "pl", "se", "biz", "online",
    ]

    /// Carrier tracking sites allowed in messages (links needed to fulfil the order).
    static let defaultCarrierDomains: [String] = [
        "brt.it", "vas.brt.it", "poste.it", "sda.it", "gls-italy.com", "gls-group.eu", "gls-group.com", "dhl.com", "dhl.it", "dhl.de",
        "ups.com", "dpd.com", "dpd.it", "dpd.de", "tnt.com", "tnt.it", "fedex.com", "inpost.it", "inpost.pl", "inpost.es", "correos.es",
        "colissimo.fr", "laposte.fr", "chronopost.fr", "deutschepost.de", "hermes-europe.co.uk", "myhermes.de", "nexive.it", "postnl.nl",
        "amazon.it", "amazon.de", "amazon.fr", "amazon.es", "amazon.co.uk", "amazon.com", "amazon.nl", "amazon.pl", "amazon.se",
    ]

    /// A phrase list: phrases separated by `|`, words by spaces.
    static func phrases(_ text: String) -> [[String]] {
        text.split(separator: "|").map { $0.split(separator: " ").map(String.init) }.filter { !$0.isEmpty }
    }
}
