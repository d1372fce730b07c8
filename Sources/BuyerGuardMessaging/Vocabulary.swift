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
        darse de baja|darte de baja|date de baja|cancelar la suscripcion|dejar de recibir|baja de la lista|\
        ti togliamo dalla lista|non ti scriviamo piu|take you off the list|not to hear from us|not get updates from us|won t message you again|\
        nicht mehr von uns horen|von der liste nehmen|vous retirer de la liste|te quitamos de la lista|no quieres que te escribamos|\
        no te escribiremos mas|no volveremos a escribirte
        """)

    static let marketing = phrases("""
        codice sconto|codice promozionale|codice coupon|nuova collezione|nuovi arrivi|nuovi prodotti|offerta speciale|offerte speciali|\
        in promozione|promozione esclusiva|saldi|black friday|cyber monday|newsletter|seguici su|seguiteci|visita il nostro negozio|\
        visita il nostro sito|visiti il nostro|visitate il nostro|scopri i nostri|scopri la nostra|scopri le nostre|altri nostri prodotti|altri prodotti|ti potrebbe interessare|\
        potrebbero interessarti|\
        discount code|promo code|coupon code|voucher code|new collection|new arrivals|special offer|special offers|exclusive offer|\
        follow us|visit our store|visit our shop|visit our website|check out our|our other products|you might also like|you may also like|\
        rabattcode|gutscheincode|aktionscode|neue kollektion|neuheiten|sonderangebot|sonderangebote|folgen sie uns|besuchen sie unseren|besuchen sie unsere|\
        entdecken sie unsere|weitere produkte|unsere anderen produkte|\
        code promo|code de reduction|nouvelle collection|nouveautes|offre speciale|offres speciales|suivez nous|visitez notre|decouvrez nos|\
        decouvrez notre|nos autres produits|soldes|\
        codigo de descuento|codigo promocional|nueva coleccion|novedades|oferta especial|ofertas especiales|siguenos|\
        visita nuestra tienda|visita nuestra web|visite nuestra|descubre nuestros|descubre nuestra|otros productos|nuestros otros productos|rebajas|\
        invita un amico|invita i tuoi amici|porta un amico|nostro partner|nostri partner|negozio gemello|cercaci su|cerca su amazon|cerca il nostro negozio|nella nostra vetrina|\
        refer a friend|referral|our partner|our partners|sister shop|sister store|search for us|search amazon for|our storefront|\
        empfehlen sie uns|empfehlt uns|empfiehl uns|jede empfehlung|unser partner|unsere partner|unser partnershop|schwestershop|suchen sie auf amazon|unsere storefront|\
        parrainage|parrainez|notre partenaire|nos partenaires|boutique soeur|notre vitrine|tapez simplement|\
        club fedelta|loyalty club|kundenclub|club de fidelite|club de fidelidad|\
        negozio fisico|physical store|ladengeschaft|boutique physique|tienda fisica|\
        offerta della settimana|deal of the week|this week s deal|angebot der woche|offre de la semaine|oferta de la semana|\
        2x1|3x2|2 per 1|price of 1|prezzo di 1|precio de 1|summer sale|winter sale|\
        programma fedelta|loyalty program|loyalty programme|treueprogramm|programme de fidelite|programa de fidelidad|\
        approfitt*|aprovech*|take advantage|nutzen sie die|\
        nostri amici di|our friends at|unsere freunde von|nos amis de|nuestros amigos de|\
        tutta la nostra gamma|our full range|unser ganzes sortiment|toute notre gamme|toda nuestra gama|\
        qr code|codice qr|codigo qr|code qr|barra di ricerca|barre de recherche|barra de busqueda|suchleiste|search bar|\
        nel nostro negozio trova|in unserem shop finden|dans notre boutique vous trouverez|en nuestra tienda encontraras|in our shop you will find|\
        recomiendanos|recomienda a un amigo|invita a un amigo|nuestro socio|nuestros socios|nuestro partner|tienda hermana|buscanos en|busca en amazon|nuestro escaparate
        """)

    /// Social networks and messaging-app channels: pointing a buyer at them is promotion.
    static let socialChannel = phrases("""
        instagram|insta|facebook|tiktok|pinterest*|youtube*|twitter|snapchat|linktree|link in bio|linkinbio|\
        canale whatsapp|canale telegram|gruppo whatsapp|gruppo telegram|whatsapp channel|telegram channel|whatsapp group|telegram group|\
        whatsapp community|whatsapp kanal|telegram kanal|whatsapp gruppe|telegram gruppe|chaine whatsapp|chaine telegram|groupe whatsapp|\
        groupe telegram|canal de whatsapp|canal de telegram|grupo de whatsapp|grupo de telegram
        """)

    /// Prize draws and contests: promotion, and an incentive when tied to a review.
    static let prizeDraw = phrases("""
        concorso|estrazione|estraiamo|giveaway*|prize draw|raffle|sweepstake*|gewinnspiel*|verlos*|a draw|into a draw|draw for|tirage au sort|tirons au sort|tire au sort|\
        tirage|concours|sorteo*|sorteamos|sortear*
        """)

    /// Refusing an incentive: "we can't offer anything in return for reviews" is no offer.
    static let refusal = phrases("""
        non possiamo offrire|non offriamo|can t offer|cannot offer|we don t offer|konnen keine|durfen keine|bieten keine|\
        ne pouvons pas offrir|ne proposons pas|no podemos ofrecer|no ofrecemos
        """)

    /// Asking a buyer to change or take back a review.
    static let reviewChange = phrases("""
        modificar*|aggiornar*|rimuover*|cancellar*|elimin*|riconsider*|rivedere|ritirar*|\
        change|update|edit|remove|delete|bumping|bump up|reconsider|revise|take down|amend|anzupassen|\
        andern|anpassen|aktualisier*|loschen|entfernen|uberdenk*|zuruckziehen|noch einmal|nochmal|\
        modifier|mettre a jour|supprimer|retirer|reconsider*|revoir|\
        cambiar|cambiaras|cambiases|cambiarla|cambia|cambias|actualizas|actualices|retiras|retires|quitas|borras|eliminas|actualizar|borrar|quitar|reconsiderar|retirar
        """)

    /// "Write to us before you review": steering unhappy buyers away from reviews.
    static let gating = phrases("""
        prima di lasciare|prima di pubblicare|prima di scrivere|prima di recensire|prima di valutare|prima di dare|\
        before leaving|before you leave|before you rate|before posting|before you post|before writing|before you write|before reviewing|before you review|before rating|\
        bevor sie|bevor du|ehe sie|\
        avant de laisser|avant de publier|avant de noter|avant d ecrire|avant de donner|\
        antes de dejar|antes de publicar|antes de escribir|antes de valorar|antes de opinar
        """)

    /// Discount words that are promotion only next to a "next purchase" or a code.
    static let discountWords: Set<String> = [
        "sconto", "sconti", "discount", "rabatt", "remise", "reduction", "descuento", "off", "coupon", "cupon", "gutschein", "voucher",
    ]
    static let futurePurchase = phrases("""
        prossimo acquisto|prossimo ordine|prossimi acquisti|next purchase|next order|future purchase|nachsten einkauf|nachste bestellung|\
        prochain achat|prochaine commande|proxima compra|proximo pedido|siguiente compra|\
        future order|future orders|prossimi ordini|futuri ordini|zukunftige bestellungen|futures commandes|futuras compras
        """)

    static let reviewWords: Set<String> = [
        "recensione", "recensioni", "giudizio", "valutazione", "valutazioni", "recensire", "recensirci", "valoraras", "valorar", "valorarnos", "valoranos", "bewerten", "bewertet", "evaluer", "feedback", "stelle", "review", "reviews", "rating", "ratings", "stars",
        "bewertung", "bewertungen", "rezension", "sterne", "avis", "evaluation", "etoiles", "commentaire", "resena", "resenas",
        "opinion", "valoracion", "estrellas",
    ]
    static let positiveReview = phrases("""
        positiva|positive|positivo|positivi|top marks|full marks|bestnote|note maximale|maxima puntuacion|5 stelle|cinque stelle|ottima recensione|massimo dei voti|\
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
        spese di spedizione|sorpresa|garanzia|ricompens*|sapremo come|come ringraziamento|per ringraziarti|ne varra la pena|credito|satispay|\
        voucher|free|in exchange|reward|gift|postage|shipping cost|shipping costs|shipping fee|surprise|warranty|as a thank you|worth your while|\
        store credit|paypal|screenshot|cashback|\
        gutschein|kostenlos|geschenk|als dank|im gegenzug|versandkosten|herstellergarantie|belohn*|uberraschung|garantie|als dankeschon|lohnenswert|guthaben|\
        einkaufsgutschein|gutscheincode|\
        bon d achat|carte cadeau|gratuit|gratuite|cadeau|en echange|recompense|remercier comme|frais de port|en remerciement|ca vaut le coup|lydia|\
        cheque regalo|tarjeta regalo|te regalamos|regalamos|gratis|regalo|a cambio|recompensa|garantia|gastos de envio|como agradecimiento|bizum|merecera la pena
        """)
    static let weakIncentive: Set<String> = [
        "rimborso", "rimborsare", "rimborseremo", "sconto", "refund", "reimburse", "reimbursement", "discount", "erstattung", "erstatten",
        "rabatt", "remboursement", "rembourser", "remise", "reembolso", "reembolsar", "descuento",
    ]
    static let forWords: Set<String> = ["per", "for", "fur", "pour", "por", "gegen", "para"]
    /// Words that refuse an incentive ("we cannot offer anything in return"): the sentence is honest.
    static let refusalWords: Set<String> = ["nulla", "niente", "nothing", "nichts", "rien", "nada", "ningun", "ninguna", "aucun", "aucune"]
    static let honest: Set<String> = ["onesta", "onesto", "sincera", "honest", "ehrliche", "ehrlich", "honnete", "sincere", "honesta", "sincera"]

    static let adjusted = phrases("""
        rimborsat*|rimborso|importo rettificat*|importo adeguat*|rettificat*|stornat*|addebitat*|riaccreditat*|accreditat*|ridott*|restituit*|ridato|ridati|\
        refund*|adjusted|adjustment|reimbursed|credited|reduced|money back|\
        erstatt*|ruckerstatt*|zuruckerstatt*|zuruckgezahlt|zuruckgebucht|gutgeschrieben|gutschrift|angepasst|reduziert|\
        rembours*|ajuste*|credite*|reduit*|\
        reembols*|ajustad*|ajuste|abonad*|devuelto el importe|reducido|devuelto|devolvemos|abonamos
        """)
    static let unavailableReason = phrases("""
        noinventory|couldnotship|non disponibile|non piu disponibile|esaurit*|fuori stock|non e disponibile|impossibile spedire|\
        non possiamo spedire|non siamo in grado di spedire|\
        out of stock|no longer available|unavailable|not available|could not ship|cannot ship|unable to ship|\
        nicht vorratig|nicht lieferbar|ausverkauft|nicht verfugbar|nicht versenden|\
        rupture de stock|plus disponible|indisponible|impossible d expedier|pas disponible|\
        agotado|agotada|sin stock|no disponible|no podemos enviar|no se pudo enviar|no esta disponible|\
        non piu in magazzino|non e piu disponibile|terminat*|non abbiamo piu|non ne abbiamo piu|e finit*|danneggiat*|non siamo riusciti a spedire|\
        non possiamo inviare|non riusciamo a spedire|\
        sold out|discontinued|can t ship|can t send|cannot send|can t be shipped|won t be able to ship|unable to fulfil|has run out|have run out|ran out|\
        no longer in stock|damaged|could not be shipped|cannot be shipped|unable to send|\
        nicht mehr vorratig|nicht mehr lieferbar|nicht mehr auf lager|nicht auf lager|kein lagerbestand|nicht mehr in unserem bestand|\
        vergriffen|nicht verschicken|nicht liefern|nicht geliefert|beschadigt|keinen nachschub|\
        epuise*|en rupture|plus en stock|pas pu expedier|pas pu etre expedie*|pas pu vous|ne peut pas etre livre*|ne pouvons pas vous le livrer|\
        endommage*|plus de stock|ne pouvons pas expedier|pouvons pas l expedier|pas pu l expedier|ne peut pas etre envoye*|\
        sin existencias|ya no tenemos|no tenemos stock|falta de stock|no se puede enviar|no podemos completar|ultima unidad|no pudimos enviar|no podemos enviarlo|danad*|descatalogad*|podido enviar|no lo podemos mandar|\
        no podemos mandar
        """)
    static let returned = phrases("""
        reso|resi|restituit*|rispedit*|\
        returned|return|received|got back|back with us|arrived|ricevut*|tornat*|arrivat*|\
        zuruckgesendet|zuruckgesandt*|rucksendung|zuruckgeschickt*|retoure|ruckgabe|erhalt|erhalten|angekommen|eingetroffen|wieder bei uns|\
        retour|retourne*|renvoye*|reception|recu|recue*|\
        devuelto|devuelta|devolucion|devueltos|devueltas|devolver*|llegado|recibid*|recepcion|de vuelta
        """)
    /// What a Return Confirmation says besides the product: the words of returns, refunds, orders,
    /// parcels, dates, greetings and politeness, in the five languages (folded), as whole words or
    /// as stems (`stems`). A confirmation whose words, outside its greeting and signature lines,
    /// are all of these (or function words, numbers, months, currencies, links) names no product.
    static let returnMessageWords: Set<String> = [
        // it
        "reso", "resi", "rimborso", "rimborsi", "ordine", "ordini", "pacco", "pacchi", "collo", "articolo", "articoli", "prodotto", "prodotti",
        "merce", "magazzino", "cliente", "clienti", "gentile", "caro", "cara", "cari", "buongiorno", "buonasera", "ciao", "salve", "saluti",
        "cordiali", "cordialmente", "distinti", "grazie", "giorno", "giorni", "data", "importo", "totale", "euro", "conto", "carta",
        "metodo", "pagamento", "tutto", "tutti", "ordine", "controllo", "controllato", "controllata", "stato", "stata", "stati", "state",
        "abbiamo", "hai", "ha", "ho", "hanno", "siamo", "sono", "era", "essere", "avere", "dovrebbe", "dovrebbero", "potrebbe",
        "comparire", "vedere", "visibile", "entro", "pochi", "alcuni", "lavorativi", "oggi", "ieri", "appena", "gia", "ancora", "sempre",
        "risulta", "perfetto", "perfette", "regola", "bene", "buon", "buona", "buone", "giornata", "serata", "presto", "suo", "sua", "tuo",
        "tua", "vostro", "vostra", "nostro", "nostra", "nostri", "nostre", "come", "quando", "dove", "qui", "questo", "questa", "quello",
        "quella", "se", "eventuali", "domande", "disposizione", "restiamo", "resto", "scrivere", "scriverci", "contattarci", "confermiamo",
        "confermare", "informiamo", "comunichiamo", "comunicarle", "lieti", "felici", "disposto", "emesso", "effettuato", "eseguito",
        "accreditato", "accreditati", "registrato", "elaborato", "completato", "ricevuto", "arrivato", "arrivata", "tornato", "tornata",
        "spedizione", "corriere", "nota", "seguito", "richiesta", "pratica", "procedura", "numero", "saldo", "mediante", "tramite",
        "stesso", "stessa", "originale", "utilizzato", "modalita", "ciao", "presso", "verso", "sul", "sulla", "nel", "nella", "al", "alla",
        "dal", "dalla", "dei", "degli", "delle", "un", "una", "uno", "ai", "agli", "alle", "mio", "mia", "poi", "cosi", "piu", "molto",
        // en
        "return", "returns", "returned", "refund", "refunds", "refunded", "order", "orders", "parcel", "package", "item", "items",
        "product", "products", "goods", "warehouse", "customer", "dear", "hello", "hi", "hey", "good", "morning", "afternoon", "evening",
        "regards", "kind", "best", "sincerely", "thanks", "thank", "day", "days", "date", "amount", "total", "account", "card", "bank",
        "method", "payment", "original", "everything", "all", "checked", "inspected", "been", "was", "were", "has", "have", "had", "got",
        "back", "received", "arrived", "reached", "issued", "processed", "logged", "registered", "completed", "credited", "sent", "made",
        "confirm", "confirming", "confirmed", "let", "know", "inform", "pleased", "happy", "glad", "should", "will", "would", "can",
        "could", "may", "appear", "see", "show", "visible", "within", "few", "some", "working", "business", "today", "yesterday", "just",
        "already", "now", "still", "fine", "perfect", "order", "great", "nice", "soon", "any", "questions", "question", "touch", "get",
        "contact", "feel", "free", "reach", "out", "here", "help", "happy", "statement", "via", "same", "full", "cheers", "team",
        "request", "case", "number", "ref", "reference", "under", "from", "our", "ours", "your", "yours", "us", "its", "on", "in", "at",
        "by", "as", "an", "a", "so", "up", "do", "if", "no", "yes", "which", "who", "what", "when", "there", "their", "them", "they",
        "again", "very", "much", "shortly", "take", "care", "wishes", "kindest", "warm", "warmest", "condition", "good",
        // de
        "retoure", "retouren", "rucksendung", "rucksendungen", "erstattung", "erstattungsbetrag", "ruckerstattung", "bestellung",
        "bestellungen", "paket", "pakete", "sendung", "artikel", "produkt", "produkte", "ware", "waren", "lager", "kunde", "kundin",
        "kunden", "liebe", "lieber", "liebes", "hallo", "moin", "servus", "guten", "tag", "morgen", "abend", "gruße", "grusse", "gruß",
        "gruss", "freundlichen", "freundliche", "beste", "besten", "viele", "vielen", "dank", "danke", "lg", "vg", "mfg", "tage", "tagen",
        "datum", "betrag", "summe", "konto", "karte", "zahlungsmittel", "zahlungsart", "zahlung", "ursprungliche", "ursprunglichen",
        "alles", "ok", "okay", "gepruft", "ist", "sind", "war", "waren", "wurde", "wurden", "worden", "haben", "hat", "habe", "hatten",
        "da", "angekommen", "eingegangen", "eingetroffen", "erhalten", "zuruckgebucht", "erstattet", "uberwiesen", "gutgeschrieben",
        "veranlasst", "bearbeitet", "bestatigen", "bestatigt", "mitteilen", "teilen", "freuen", "sollte", "sollten", "wird", "werden",
        "konnen", "kann", "sehen", "sichtbar", "innerhalb", "wenigen", "einigen", "werktagen", "werktage", "heute", "gestern", "bereits",
        "schon", "jetzt", "noch", "gut", "bestens", "ordnung", "prima", "bald", "fragen", "frage", "gerne", "gern", "melden", "kontakt",
        "uber", "bei", "von", "vom", "zum", "zur", "im", "am", "an", "als", "auch", "aber", "oder", "wenn", "ihnen", "euch", "dir", "dich",
        "du", "dein", "deine", "euer", "eure", "ihrem", "ihren", "ihrer", "unser", "unsere", "unserem", "unseren", "unserer", "sehr",
        "geehrte", "geehrter", "geehrtes", "damen", "herren", "frau", "herr", "gleiche", "gleichen", "wieder", "zuruck", "hiermit", "so",
        "ihrer", "nummer", "vorgang", "antrag", "anfrage", "team", "schonen", "schoner", "schone", "wochenende",
        // fr
        "retour", "retours", "remboursement", "remboursements", "rembourse", "remboursee", "rembourses", "commande", "commandes", "colis",
        "article", "articles", "produit", "produits", "marchandise", "entrepot", "client", "cliente", "clients", "cher", "chere", "chers",
        "bonjour", "bonsoir", "salut", "coucou", "cordialement", "salutations", "bien", "bonne", "bon", "journee", "soiree", "merci",
        "jour", "jours", "date", "montant", "total", "compte", "carte", "moyen", "paiement", "initial", "tout", "toute", "ok", "verifie",
        "a", "ete", "avons", "avez", "est", "sont", "etait", "arrive", "arrivee", "recu", "recue", "reception", "effectue", "effectuee",
        "emis", "emise", "traite", "traitee", "enregistre", "enregistree", "credite", "vire", "confirmons", "confirmer", "informons",
        "ravis", "devrait", "devraient", "sera", "seront", "pouvez", "peut", "voir", "apparaitre", "visible", "sous", "quelques",
        "ouvres", "ouvrables", "aujourd", "hui", "hier", "deja", "maintenant", "encore", "parfait", "ordre", "bientot", "questions",
        "question", "hesitez", "hesite", "nous", "contacter", "ecrire", "disposition", "reste", "restons", "ton", "ta", "tes", "ton",
        "votre", "vos", "notre", "nos", "au", "aux", "en", "par", "de", "d", "l", "un", "une", "ce", "cette", "ces", "si", "y", "il",
        "elle", "on", "tu", "toi", "te", "vous", "madame", "monsieur", "meme", "numero", "demande", "dossier", "equipe", "belle",
        "semaine", "week", "end", "ici", "bien",
        // es
        "devolucion", "devoluciones", "devuelto", "devuelta", "reembolso", "reembolsos", "reembolsado", "reembolsada", "pedido",
        "pedidos", "paquete", "bulto", "articulo", "articulos", "producto", "productos", "mercancia", "almacen", "cliente", "clienta",
        "clientes", "estimado", "estimada", "estimados", "querido", "querida", "hola", "buenas", "buenos", "dias", "tardes", "noches",
        "saludos", "atentamente", "cordialmente", "gracias", "dia", "fecha", "importe", "total", "cuenta", "tarjeta", "metodo", "pago",
        "original", "todo", "correcto", "revisado", "hemos", "ha", "han", "has", "he", "sido", "fue", "esta", "estan", "llegado",
        "recibido", "recibida", "recepcion", "realizado", "realizada", "emitido", "emitida", "tramitado", "tramitada", "procesado",
        "procesada", "registrado", "registrada", "abonado", "abonada", "confirmamos", "confirmar", "informamos", "encantados",
        "deberia", "deberian", "podra", "puede", "ver", "aparecer", "visible", "en", "unos", "pocos", "algunos", "habiles", "laborables",
        "hoy", "ayer", "ya", "ahora", "todavia", "perfecto", "orden", "pronto", "preguntas", "pregunta", "duda", "dudas", "escribirnos",
        "contactarnos", "disposicion", "quedamos", "tu", "tus", "te", "le", "les", "nos", "nuestro", "nuestra", "al", "de", "un",
        "este", "ese", "esa", "si", "mismo", "misma", "numero", "solicitud", "caso", "equipo", "buen", "feliz", "semana", "aqui", "con",
        "fin",
    ]
    /// Stems of the same words' many forms (refund, return, receive, confirm, in five languages).
    static let returnMessageStems: [String] = [
        "rimbors", "restitu", "ricev", "confer", "rispedit", "accredit",
        "refund", "return", "receiv", "confirm", "credit", "process",
        "erstatt", "zuruck", "ruck", "bestat", "erhalt", "uberwies", "gutschr",
        "rembours", "retourn", "renvoy", "recept", "confirm", "credit",
        "reembols", "devol", "devuel", "recib", "confirm", "abon", "tramit",
    ]
    static let months: Set<String> = [
        "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
        "januar", "februar", "marz", "mai", "juni", "juli", "oktober", "dezember",
        "janvier", "fevrier", "mars", "avril", "juin", "juillet", "aout", "septembre", "octobre", "decembre",
        "enero", "febrero", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ]
    static let currency: Set<String> = ["eur", "euro", "euros", "gbp", "usd", "pln", "sek", "chf"]

    /// Opt-out offers without a link: "if you no longer want our messages" (a wish, a no-more
    /// marker and a message word in one sentence), or "reply STOP" (a reply verb and a keyword).
    static let noMore: Set<String> = [
        "piu", "altri", "ulteriori", "longer", "again", "anymore", "further", "other", "mehr", "keine", "keinen", "weitere", "plus", "autres", "ya", "mas",
    ]
    static let messageWords: Set<String> = [
        "ricevere", "messaggi", "email", "mail", "notizie", "aggiornamenti", "comunicazioni", "newsletter", "sentirci",
        "receive", "receiving", "hear", "messages", "emails", "updates", "news", "contacted", "contact",
        "erhalten", "bekommen", "nachrichten", "mails", "infos", "updates", "post", "hören", "horen",
        "recevoir", "nouvelles", "courriels", "mails", "infos",
        "recibir", "mensajes", "correos", "noticias", "saber",
    ]
    static let wishWords: Set<String> = [
        "se", "vuoi", "volete", "desideri", "desidera", "preferisci", "if", "want", "wish", "prefer", "rather",
        "wenn", "falls", "mochten", "mochtest", "wunschen", "willst", "lust", "si", "voulez", "veux", "souhaitez", "souhaites", "marre",
        "quieres", "quiere", "desea", "deseas", "prefieres",
    ]
    static let replyVerbs: Set<String> = [
        "rispondi", "risponda", "rispondere", "contesta", "contestar", "contestes", "scrivi", "scriva", "reply", "respond", "text", "write",
        "antworte", "antworten", "antwort", "schreib", "schreiben",
        "repondez", "reponds", "repondre", "ecrivez", "ecris", "responde", "responda", "responder", "escribe", "escriba",
    ]
    static let stopKeywords: Set<String> = [
        "stop", "stopp", "basta", "enough", "baja", "cancellami", "unsubscribe", "desinscription", "abmelden",
    ]
    /// `no`, `non`, `nein`: keywords only when written in capitals ("reply NO").
    static let shoutedKeywords: Set<String> = ["no", "non", "nein"]
    /// Words that introduce a code ("Code SORRY10").
    static let codeWords: Set<String> = [
        "code", "codice", "codigo", "coupon", "cupon", "gutschein", "gutscheincode", "rabattcode", "promo", "promocode", "voucher", "buono",
    ]

    /// Words that introduce an obfuscated domain (`negozio punto it`, `shop [dot] com`).
    static let dotWords: Set<String> = ["dot", "punto", "punkt", "point"]
    static let topLevelDomains: Set<String> = [
        "com", "it", "de", "fr", "es", "eu", "net", "org", "uk", "shop", "store", "info", "io", "co", "at", "ch", "nl", "be", "pl", "se", "biz", "online",
        // shorteners and link-in-bio pages: bit.ly, linktr.ee, t.me, wa.me, goo.gl, tinyurl, ...
        "ly", "ee", "me", "gl", "to", "tv", "app", "link", "page", "site", "bio", "gd", "cc", "ws", "club", "ai",
    ]

    /// Hosts of social networks and messaging apps: a link to them is promotion as well as a link.
    static let socialHosts: [String] = [
        "facebook.com", "fb.me", "instagram.com", "tiktok.com", "pinterest.com", "youtube.com", "youtu.be", "t.me", "telegram.me",
        "wa.me", "whatsapp.com", "chat.whatsapp.com", "twitter.com", "x.com", "linktr.ee",
    ]

    /// Words that, next to a link that fulfilling the order does not need, make it promotion too
    /// ("alternatives on shop.de", "more models at bolsos punto es", "our deals: bit.ly/...").
    static let offerWords: Set<String> = [
        "alternative", "alternativen", "alternatives", "alternativa", "alternative", "altri", "altre", "other", "weitere", "autres", "otros", "otras",
        "modelli", "modelos", "models", "modeles", "offerte", "angebote", "offres", "ofertas", "deals", "catalogo", "katalog", "catalogue",
        "novita", "novedades", "nouveautes", "neuheiten", "sortiment", "gamma", "gama", "gamme", "articoli", "prodotti", "produkte", "productos",
        "produits", "products", "ricette", "rezepte", "recettes", "recetas", "recipes", "plans", "promos", "promo",
        "simili", "similar", "ahnliche", "similaires", "similares", "collection", "kollektion", "collezione", "coleccion", "shop", "negozio",
        "tienda", "boutique", "store", "resto", "disenos", "designs",
    ]

    /// Words in a link's path that show it leads to offers ("/ofertas", "/sale", "/new-collection").
    static let offerPathWords: [String] = [
        "offer", "ofert", "offert", "angebot", "offre", "deal", "sale", "saldi", "soldes", "rebajas", "promo", "sconti", "coupon",
        "coleccion", "collection", "kollektion", "collezione", "novita", "novedades", "neuheiten", "nouveautes", "new-in", "shop-all",
    ]

    /// Words in a link's path or query that show it tracks a parcel (a link needed to fulfil the order,
    /// whatever the carrier).
    static let trackingPathWords: [String] = [
        "track", "trace", "tracciamento", "tracking", "sendungsverfolgung", "verfolgung", "suivi", "seguimiento", "rastreo", "localizador",
        "expedition", "shipment", "parcel", "colis", "paket", "spedizione", "envio",
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

    /// Words that name an order right before its id, in the five languages (folded).
    static let orderWords: Set<String> = [
        "ordine", "ordinazione", "order", "bestellung", "bestellnummer", "auftrag", "commande", "pedido", "encargo", "orden",
    ]

    /// "Link" in the five languages, for "link in bio" ("lien en bio", "enlace en la bio").
    static let linkWords: Set<String> = ["link", "links", "lien", "liens", "enlace", "enlaces"]
}
