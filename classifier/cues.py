"""The cue lexicon: phrases that point to a right, in English, Dutch, German and French.

Written by us from the wording of the GDPR/AVG/DSGVO/RGPD and how people actually write.
Each cue is (label, strength, pattern). A match is evidence shown to staff and a feature the
trained model weighs in context; a cue never decides on its own.

A pattern is space-separated token specs, matched against lower-cased tokens:
  word|other   one of these tokens
  ~regex       a token in the finite set the regex describes: literals, (a|b), [abc], \\d and
               `?`; it is expanded to a word list when the component is built (see rules.py)
  X?           (suffix, plain words only) the token is optional
  *            any one token, optional

Strengths:
  strong  names the right, its article together with the law, or asks for it unambiguously
  phrase  a phrase that on its own usually asks for the right
  weak    a word that points to it but is common in ordinary business mail ("unsubscribe
          me from this thread", "bezwaar tegen de naheffing", "incorrect weight")
  counter a phrase that looks like the right but is ordinary work: leaving a thread or a
          meeting, correcting a customs declaration, holding a consignment. Never shown as
          evidence; how much it speaks against the label is learned (calibrate.py).
The label "privacy" is context only (the mail talks about personal data / data protection);
it is never a verdict.
"""

# ruff: noqa: E501  (the lexicon is a table: one cue per line reads better than wrapped)
from __future__ import annotations

STRONG, PHRASE, WEAK = "strong", "phrase", "weak"
COUNTER = "counter"
STRENGTHS = (STRONG, PHRASE, WEAK, COUNTER)

# Reusable token specs.
MY = "my|mine|me|our|his|her|their|your"
ME = "me|us|him|her|them|myself"
DATA_EN = "~(personal|private)?(data|details|information|info|records?|files?|profile)"
DATA_NL = "~(persoons)?(gegevens|data|info|informatie|dossier|profiel)"
DATA_DE = "~((personen)?(daten|angaben|informationen|datensätze|profil)|personenbezogenen?)"
DATA_FR = "~(données|donnees|informations|coordonnées|coordonnees|dossier|profil)"
MIJN = "mijn|m'n|mn|me|mij|zijn|haar|onze"
MEINE = "meine|meiner|meinen|mich|mir|seine|ihre|unsere"
MES = "mes|ma|mon|me|moi|ses|sa|son|nos|notre"
LAW = "~(uk-?)?(gdpr|avg|dsgvo|rgpd|ds-?gvo)"
ARTICLE = "~(art|art\\.|article|artikel|artikels?)"

CUES: tuple[tuple[str, str, str], ...] = (
    # ---- context: the mail talks about personal data protection ----
    ("privacy", PHRASE, LAW),
    ("privacy", PHRASE, "~(privacy|datenschutz|data-?protection|persoonsgegevens|privacywet)"),
    ("privacy", PHRASE, "data protection"),
    ("privacy", PHRASE, "~(personal|personenbezogene|personenbezogenen) ~(data|daten)"),
    ("privacy", PHRASE, "~(données|donnees) ~(personnelles|à|a) caractère? personnel?"),
    ("privacy", PHRASE, "protection des ~(données|donnees)"),
    # ---- access (Art. 15) ----
    ("access", STRONG, "subject access request|requests"),
    ("access", STRONG, "~(dsars?|sars?)"),
    ("access", STRONG, "right of|to access"),
    ("access", STRONG, ARTICLE + " ~15(\\(\\d\\))? * " + LAW),
    ("access", PHRASE, ARTICLE + " ~15(\\(\\d\\))?"),
    ("access", PHRASE, "~art\\.?15"),
    ("access", PHRASE, "copy|copies|overview|list|summary of * * " + DATA_EN),
    ("access", PHRASE, "what|which " + DATA_EN + " do|does you|your * hold|have|keep|store|process"),
    ("access", PHRASE, "what|which " + DATA_EN + " you|u have|hold|keep|store"),
    ("access", PHRASE, "what do|does you|u have|hold|know|keep|store on|about " + ME),
    ("access", PHRASE, "~(tell|show|send|give) me|us * what|which|everything|all * you|u * hold|have|keep|store|know|process"),
    ("access", PHRASE, "all|everything * you|u * hold|have|keep|store * on|about " + ME),
    ("access", PHRASE, "access to " + MY + " * " + DATA_EN),
    ("access", PHRASE, "where did you get|obtain|find " + MY + " * " + DATA_EN + "|number|email|address|name"),
    ("access", PHRASE, "who * you * shared|share|sold|passed|given " + MY + " * " + DATA_EN),
    ("access", PHRASE, "~(recordings?|opnames?|geluidsopnames?|mitschnitte?|aufzeichnungen?|enregistrements?) * * * * ~(calls?|gesprekken|telefoongesprekken|gesprek|telefonate|anrufe|gespräche|gespraeche|appels?|my|mijn|meiner|meine|mes)"),
    ("access", WEAK, DATA_EN + " * you|u * hold|have|keep|store|process|retain * about|on|concerning|regarding me|myself"),
    ("access", PHRASE, "~(send|provide|supply|give|disclose) me * * * " + DATA_EN + " * relating|related|concerning|about|regarding to? me|myself"),
    ("access", WEAK, DATA_EN + " relating|related|concerning|regarding to? me|myself"),
    ("access", STRONG, "~inzage(verzoek|recht|aanvraag|verzoeken)?"),
    ("access", PHRASE, "welke " + DATA_NL + " * * hebben|heeft|verwerken|bewaren|bewaart|verwerkt|hebt"),
    ("access", PHRASE, "wat * jullie|u * van|over mij|me"),
    ("access", PHRASE, "kopie|overzicht|afschrift van * " + MIJN + "? " + DATA_NL),
    ("access", PHRASE, "waar * jullie * " + MIJN + " * " + DATA_NL + "|nummer|adres|e-mailadres * vandaan"),
    ("access", STRONG, "~auskunft(sersuchen|santrag|sanfrage|sverlangen|srecht)"),
    ("access", STRONG, "auskunft nach|gemäß|gem.|gem|über * ~(art|art\\.|artikel) ~15"),
    ("access", PHRASE, "auskunft über * " + MEINE + "? * " + DATA_DE),
    ("access", WEAK, "auskunft"),
    ("access", PHRASE, "welche " + DATA_DE + " * * speichern|gespeichert|verarbeiten|haben|vorliegen"),
    ("access", PHRASE, "kopie " + MEINE + "? * " + DATA_DE),
    ("access", PHRASE, "was * sie * über mich"),
    ("access", STRONG, "recht auf auskunft"),
    ("access", WEAK, "über|zu mich|meiner person? * ~(gespeichert|gespeicherten|speichern|verarbeiten|verarbeitet|vorliegen|vorliegenden|haben)"),
    ("access", STRONG, "droit d'|d’|de ~acc[eè]s"),
    ("access", PHRASE, "~d['’]acc[eè]s"),
    ("access", PHRASE, "quelles " + DATA_FR + " * * ~d[ée]tenez|conservez|traitez|avez"),
    ("access", PHRASE, "copie de|des * " + MES + "? " + DATA_FR),
    ("access", PHRASE, "~(communiquer|transmettre|envoyer) * ~(l'ensemble|toutes?|l’ensemble) * " + DATA_FR),
    ("access", PHRASE, "ce que vous * sur moi"),
    ("access", PHRASE, "~(communiquer|transmettre|adresser|fournir|envoyer|m['’]adresser|m['’]envoyer|me) * * * " + DATA_FR + " me concernant"),
    ("access", WEAK, DATA_FR + " me concernant"),
    # ---- rectification (Art. 16) ----
    ("rectification", STRONG, "~rectif(y|ication|ied)"),
    ("rectification", STRONG, ARTICLE + " ~16(\\(\\d\\))? * " + LAW),
    ("rectification", PHRASE, ARTICLE + " ~16(\\(\\d\\))?"),
    ("rectification", PHRASE, "correct|update|fix|amend|change " + MY + " * " + DATA_EN + "|name|surname|address|birth|email|phone|number"),
    ("rectification", PHRASE, MY + " name|surname|address|birth|details|email|number is|are * * wrong|incorrect|misspelt|misspelled|inaccurate|outdated|out|spelled"),
    ("rectification", PHRASE, "spelt|spelled|spelling * my|wrong|incorrectly"),
    ("rectification", WEAK, "~(inaccurate|incorrect|wrong|misspelt|misspelled|outdated)"),
    ("rectification", STRONG, "~(rectificatie|rectificeren|correctierecht|rectificatieverzoek)"),
    ("rectification", PHRASE, "~(corrigeer|corrigeren|aanpassen|wijzigen|verbeteren|aanvullen|rechtzetten|aanpassing) * * " + DATA_NL + "|naam|achternaam|adres|geboortedatum|telefoonnummer"),
    ("rectification", PHRASE, MIJN + " " + DATA_NL + "|naam|achternaam|adres|geboortedatum * * ~(corrigeren|aanpassen|wijzigen|verbeteren|aanvullen|onjuist|fout|verkeerd|verkeerde|gespeld)"),
    ("rectification", WEAK, "~(onjuist|onjuiste|verkeerd|verkeerde|foutief|foutieve|fout)"),
    ("rectification", PHRASE, "~(verbetering|correctie|aanvulling|rectificatie) van " + MIJN + " * " + DATA_NL + "|naam|achternaam|adres|geboortedatum"),
    ("rectification", STRONG, "~(berichtigung(sanspruch|santrag)?|berichtigen)"),
    ("rectification", PHRASE, "~(korrigieren|korrektur|aktualisieren|vervollständigen|ändern|aendern) * * " + DATA_DE + "|namen|name|adresse|anschrift|geburtsdatum"),
    ("rectification", WEAK, "~(korrigieren|korrektur|aktualisieren|vervollständigen)"),
    ("rectification", WEAK, "~(falsch|falsche|falscher|falsches|fehlerhaft|fehlerhafte|unrichtig|unrichtige)"),
    ("rectification", STRONG, "~(rectifier|rectification|rectifiez)"),
    ("rectification", PHRASE, "~(corriger|correction|corrigez|compléter|completer|mettre|modifier|modifiez) * * " + DATA_FR + "|nom|adresse|prénom|prenom"),
    ("rectification", WEAK, "~(erronée?s?|erronee?s?|inexacte?s?|incorrecte?s?|fausses?|faux)"),
    # ---- erasure (Art. 17) ----
    ("erasure", STRONG, "right to be forgotten|erasure"),
    ("erasure", STRONG, "~erasure"),
    ("erasure", STRONG, ARTICLE + " ~17(\\(\\d\\))? * " + LAW),
    ("erasure", PHRASE, ARTICLE + " ~17(\\(\\d\\))?"),
    ("erasure", PHRASE, "~art\\.?17"),
    ("erasure", PHRASE, "~(delete|erase|remove|wipe|purge|destroy|scrub|deleting|erasing|removing) " + MY + "? * " + DATA_EN),
    ("erasure", PHRASE, "~(delete|erase|remove|wipe|close) " + MY + " account|cv|resume|email|address|number|application|photo|details"),
    ("erasure", PHRASE, "~(delete|erase|remove|wipe) " + ME + " from * your? system|systems|database|databases|records|files|crm"),
    ("erasure", PHRASE, "forget me|about me"),
    ("erasure", PHRASE, DATA_EN + " * * ~(deleted|erased|removed|wiped|destroyed|purged)"),
    ("erasure", STRONG, "recht op vergetelheid|verwijdering|gegevenswissing"),
    ("erasure", STRONG, "~(verwijderingsverzoek|gegevensverwijdering|vergetelheid)"),
    ("erasure", PHRASE, "~(verwijder|verwijderen|wis|wissen|vernietig|vernietigen|verwijdert|haal|halen) " + MIJN + "? * " + DATA_NL),
    ("erasure", PHRASE, MIJN + " * " + DATA_NL + " * * ~(verwijderen|verwijderd|wissen|gewist|vernietigen|vernietigd|weghalen|weg|verwijdert)"),
    ("erasure", PHRASE, "vergeet mij|me"),
    ("erasure", PHRASE, "~(verwijder|verwijderen|wis) " + MIJN + " account|cv|sollicitatie|gegevens|foto"),
    ("erasure", PHRASE, "~(löschung|loeschung) " + MEINE + "? * " + DATA_DE),
    ("erasure", WEAK, "~(löschung|loeschung|löschen|loeschen|löschantrag|gelöscht|geloescht)"),
    ("erasure", STRONG, "recht auf vergessenwerden|vergessen|löschung"),
    ("erasure", PHRASE, MEINE + " * " + DATA_DE + " * * ~(löschen|gelöscht|loeschen|geloescht|entfernen|entfernt|vernichten)"),
    ("erasure", STRONG, "droit à|a l'|l’ ~(effacement|oubli)"),
    ("erasure", PHRASE, "~(effacement|l['’]effacement|oubli|l['’]oubli)"),
    ("erasure", PHRASE, "~(supprimer|supprimez|effacer|effacez|détruire|detruire|suppression) * * " + DATA_FR),
    ("erasure", PHRASE, DATA_FR + " * * ~(supprimées?|supprimees?|effacées?|effacees?|détruites?)"),
    ("erasure", PHRASE, "~(supprimer|supprimez|effacer|fermer) mon compte|cv|profil"),
    ("erasure", PHRASE, "~(take|taking|took) * * down|offline"),
    ("erasure", PHRASE, "~(nehmen|nimm|entfernen) * * * ~(herunter|offline|runter)"),
    ("erasure", PHRASE, "~(haal|halen|haalt) * * * ~(offline|weg|eraf|af)"),
    ("erasure", PHRASE, "~(retirer|retirez|enlever|enlevez) * * * ~(photos?|témoignage|temoignage|avis|site|citation|vidéo|video)"),
    # ---- restriction (Art. 18) ----
    ("restriction", STRONG, "~restrict(ion)? * of|the? processing"),
    ("restriction", STRONG, "~(restrict(ion)?|limit) * processing|use|using"),
    ("restriction", STRONG, ARTICLE + " ~18(\\(\\d\\))? * " + LAW),
    ("restriction", PHRASE, ARTICLE + " ~18(\\(\\d\\))?"),
    ("restriction", PHRASE, "~(freeze|pause|suspend|block|halt) * * ~(processing|use|using)"),
    ("restriction", PHRASE, "~(keep|retain|hold|store) * but * not|n't|stop use|using|process|processing"),
    ("restriction", PHRASE, "do|don't|not * not? use " + MY + " * " + DATA_EN + " until|while|pending"),
    ("restriction", PHRASE, "~(until|while|pending) * * ~(resolved|checked|verified|investigation|dispute|settled)"),
    ("restriction", STRONG, "beperking|beperken van * verwerking"),
    ("restriction", PHRASE, "~(beperking|beperken|blokkeren|bevriezen|opschorten|stopzetten|bevries|blokkeer)"),
    ("restriction", PHRASE, "niet * ~(gebruiken|verwerken) * * zolang|totdat|tot|terwijl"),
    ("restriction", STRONG, "~(einschränkung|einschraenkung) der verarbeitung"),
    ("restriction", PHRASE, "~(einschränkung|einschraenkung|einschränken|einschraenken|sperrung|sperren)"),
    ("restriction", PHRASE, "nicht * ~(verwenden|nutzen|verarbeiten|weiterverarbeiten) * * solange|bis"),
    ("restriction", STRONG, "limitation du traitement"),
    ("restriction", PHRASE, "~(limitation|limiter|limitez|restreindre|geler|gel|suspendre|suspension)"),
    ("restriction", PHRASE, "~(conserver|conservez|garder|gardez) * * mais|sans * ~(utiliser|traiter|exploiter)"),
    # ---- objection (Art. 21) ----
    ("objection", STRONG, "right to object"),
    ("objection", STRONG, ARTICLE + " ~21(\\(\\d\\))? * " + LAW),
    ("objection", PHRASE, ARTICLE + " ~21(\\(\\d\\))?"),
    ("objection", PHRASE, "i object|objecting|am objecting"),
    ("objection", PHRASE, "~object(ion)? to * * ~(processing|marketing|use|profiling|calls|emails|mailing|newsletter|contact)"),
    ("objection", PHRASE, "~(stop|cease|quit) * * ~(emailing|mailing|e-?mails?|calling|calls|ringing|texting|contacting|sending|spamming|marketing|newsletters?|messages|phoning|bothering)"),
    ("objection", WEAK, "~(unsubscribe|opt-out|optout|unsub|unsubscribed)"),
    ("objection", PHRASE, "unsubscribe me|us"),
    ("objection", PHRASE, "opt me out|out of"),
    ("objection", PHRASE, "~(take|remove|delete|drop|strike) " + ME + " off|from * * ~(mailing|marketing|newsletter|list|lists|distribution|database|lists)"),
    ("objection", PHRASE, "no|don't|not|never * more|longer|again * ~(emails?|calls|call|newsletters?|marketing|mailings|messages|contact|spam|texts|ring)"),
    ("objection", PHRASE, "do not|never call|contact|email|phone me|us"),
    ("objection", PHRASE, "direct marketing"),
    ("objection", PHRASE, "~(stop|cease) ~(processing|using) " + MY + " * " + DATA_EN),
    ("objection", WEAK, "~(bezwaar|bezwaarschrift)"),
    ("objection", PHRASE, "bezwaar tegen * * ~(verwerking|gebruik|marketing|profilering|nieuwsbrief|mailings|reclame)"),
    ("objection", PHRASE, "ik maak|teken bezwaar"),
    ("objection", STRONG, "recht van|op bezwaar"),
    ("objection", STRONG, "~(bezwaarrecht|recht-van-bezwaar)"),
    ("objection", WEAK, "~(afmelden|uitschrijven|afmelding|uitschrijving|afmeld)"),
    ("objection", PHRASE, "~(meld|schrijf) me|mij * af|uit"),
    ("objection", PHRASE, "~(stop|stoppen|ophouden|staak) * * ~(mailen|mailtjes|e-?mails|bellen|sturen|nieuwsbrief|nieuwsbrieven|reclame|marketing|benaderen)"),
    ("objection", PHRASE, "geen|niet * * ~(mails|e-?mails|nieuwsbrief|nieuwsbrieven|reclame|marketing|mailings|telefoontjes|bellen) * meer"),
    ("objection", PHRASE, "niet meer * * ~(mailen|bellen|benaderen|contacteren|sturen|e-?mailen)"),
    ("objection", PHRASE, "bel|mail me|mij niet meer"),
    ("objection", PHRASE, "~(haal|halen|verwijder|verwijderen|schrap|schrappen) * * * * ~(mailinglijst|verzendlijst|mailinglist|adressenbestand|nieuwsbrieflijst|marketinglijst)"),
    ("objection", WEAK, "~(widerspruch|widerspreche|widersprechen|werbewiderspruch)"),
    ("objection", STRONG, "~(widerspruchsrecht|widerspruchsrechts)"),
    ("objection", STRONG, "recht auf widerspruch"),
    ("objection", PHRASE, "~(widerspruch|widerspreche|widersprechen) * * ~(verarbeitung|nutzung|werbung|verwendung|profiling|direktwerbung|newsletter)"),
    ("objection", PHRASE, "~(abmelden|abbestellen|austragen|abmeldung)"),
    ("objection", PHRASE, "keine * * ~(werbung|newsletter|e-?mails|mails|anrufe|werbemails|post|werbeanrufe) * mehr"),
    ("objection", PHRASE, "nicht mehr * * ~(anrufen|kontaktieren|anschreiben|mailen|zuschicken|schicken)"),
    ("objection", PHRASE, "~(streichen|nehmen|entfernen|löschen|austragen) * * * * ~(e-mail-verteiler|mailingliste|mailverteiler|newsletterverteiler|newsletter-verteiler|werbeverteiler|adressliste)"),
    ("objection", WEAK, "~(opposition|m['’]oppose|oppose|opposer|opposons)"),
    ("objection", STRONG, "droit ~(d['’]|de) ~(opposition|m['’]opposer)"),
    ("objection", PHRASE, "~(m['’]oppose|opposer|opposition) à|au|a * * ~(traitement|prospection|utilisation|envoi|marketing|profilage)"),
    ("objection", PHRASE, "~(désabonner|desabonner|désinscrire|desinscrire|désinscription|desinscription|désabonnement)"),
    ("objection", PHRASE, "~(arrêter|arreter|cessez|arrêtez|arretez) * * ~(envoyer|m['’]envoyer|appeler|m['’]appeler|prospection|newsletters?|mails|courriels|publicités?|démarchage|contacter)"),
    ("objection", PHRASE, "plus * * ~(mails|courriels|newsletters?|publicités?|appels|prospection|démarchage|sollicitations)"),
    ("objection", PHRASE, "~(retirer|retirez|supprimer|supprimez|enlever|enlevez|rayer|rayez) * * * * ~(diffusion|mailing|newsletter|prospection|envois|fichier|fichiers)"),
    # ---- withdrawal (Art. 7(3)) ----
    ("withdrawal", STRONG, "~(withdraw(ing|n|al)?|withdrew|revok(e|ing)|revocation|retract(ing)?) * * consent"),
    ("withdrawal", STRONG, "~(withdraw(ing|n)?|revoke) * * * * consent"),
    ("withdrawal", STRONG, ARTICLE + " ~7\\(3\\)"),
    ("withdrawal", PHRASE, "no longer consent|agree|give|gave"),
    ("withdrawal", PHRASE, "consent * * * ~(withdrawn|revoked|cancelled|canceled)"),
    ("withdrawal", PHRASE, "~(do|don't|not) not? consent|agree * longer"),
    ("withdrawal", WEAK, "~(withdraw|withdrawing|withdrawn|consent)"),
    ("withdrawal", STRONG, "~(intrekken|intrekking|trek|trekken) * * * ~(toestemming|instemming|akkoord|goedkeuring)"),
    ("withdrawal", STRONG, "~(toestemming|instemming) * * * ~(intrekken|in|ingetrokken)"),
    ("withdrawal", PHRASE, "niet langer|meer * akkoord|toestemming"),
    ("withdrawal", WEAK, "~(toestemming|intrekken|ingetrokken)"),
    ("withdrawal", STRONG, "~(widerrufe|widerrufen|widerruf|zurückziehen|zurueckziehen|entziehe|ziehe) * * * ~(einwilligung|zustimmung|einverständnis|einverstaendnis)"),
    ("withdrawal", STRONG, "~(einwilligung|zustimmung|einverständnis) * * * ~(widerrufe|widerrufen|zurück|zurueck|entzogen)"),
    ("withdrawal", WEAK, "~(einwilligung|widerrufe|widerruf|widerrufen)"),
    ("withdrawal", STRONG, "~(retire|retirer|retirons|révoque|revoque|révoquer|revoquer|retrait) * * * ~(consentement|accord)"),
    ("withdrawal", STRONG, "~(consentement|accord) * * ~(retiré|retire|révoqué|revoque)"),
    ("withdrawal", WEAK, "~(consentement|retire|retirer)"),
    # ---- portability (Art. 20) ----
    ("portability", STRONG, "~(portability|dataportabiliteit|datenübertragbarkeit|datenuebertragbarkeit|portabilité|portabilite)"),
    ("portability", STRONG, ARTICLE + " ~20(\\(\\d\\))? * " + LAW),
    ("portability", PHRASE, ARTICLE + " ~20(\\(\\d\\))?"),
    ("portability", PHRASE, "~(machine-readable|machine|structured) * * readable|format|csv|json|xml|export"),
    ("portability", PHRASE, "~(csv|json|xml|excel|spreadsheet) * * * " + DATA_EN + "|" + DATA_NL),
    ("portability", PHRASE, "~(transfer|transmit|send|move|port) * * " + DATA_EN + " * * to * ~(new|another|other|competitor)"),
    ("portability", PHRASE, "~(overdraagbaarheid|overdragen|übertragbarkeit|uebertragbarkeit|übertragen)"),
    ("portability", PHRASE, "~(maschinenlesbar|maschinenlesbaren|maschinenlesbarem|machineleesbaar|machineleesbare|lisible|structuré|gestructureerd|gestructureerde)"),
    # ---- complaint ----
    ("complaint", STRONG, "~(ico|datenschutzbehörde|datenschutzbehoerde|landesdatenschutzbeauftragte|landesdatenschutzbeauftragten|cnil|edoeb|aufsichtsbehörde|aufsichtsbehoerde)"),
    ("complaint", STRONG, "autoriteit persoonsgegevens"),
    ("complaint", STRONG, "information commissioner|commissioner's|commissioners"),
    ("complaint", PHRASE, "~(complain|complaint|complaining|complained) * * * ~(regulator|commissioner|authority|data|privacy|gdpr|breach|leak)"),
    ("complaint", PHRASE, "~(report|reporting) you|this * * * ~(regulator|authority|ico|commissioner|cnil)"),
    ("complaint", PHRASE, "~(data|privacy|security) ~(breach|leak|incident)"),
    ("complaint", PHRASE, "sent|emailed|forwarded|disclosed|shared * * * * wrong|another|other person|customer|recipient|people|company"),
    ("complaint", PHRASE, "~(ignored|ignoring|no|never) * * * ~(request|response|reply|answer)"),
    ("complaint", WEAK, "~(complaint|complain|unacceptable|breach|leak|leaked|disgraceful|outrageous)"),
    ("complaint", PHRASE, "~(second|third|fourth|fifth|2nd|3rd|4th) ~(time|request|reminder|attempt|email|letter)"),
    ("complaint", PHRASE, "~(still|yet) no|not * * ~(reply|response|answer|heard|received|acknowledgement)"),
    ("complaint", WEAK, "wrong|another|other ~(person|recipient|customer|client|address|email|people)"),
    ("complaint", PHRASE, "~(datalek|datalekken|privacyschending|privacyklacht|toezichthouder)"),
    ("complaint", PHRASE, "~(klacht|klachten) * * * ~(privacy|gegevens|persoonsgegevens|avg|toezichthouder|indienen)"),
    ("complaint", WEAK, "~(klacht|klachten|onacceptabel|schandalig|lek)"),
    ("complaint", PHRASE, "~(tweede|derde|vierde|vijfde) ~(keer|verzoek|herinnering|maal|mail|brief)"),
    ("complaint", PHRASE, "nog|alweer altijd|steeds? geen|niets * * ~(reactie|antwoord|gehoord|ontvangen|bevestiging)"),
    ("complaint", WEAK, "~(verkeerde|andere|foute|verkeerd) ~(persoon|ontvanger|klant|adres|e-mailadres|mailadres|mensen)"),
    ("complaint", PHRASE, "~(datenpanne|datenleck|datenschutzbeschwerde|datenschutzverstoß|datenschutzverstoss)"),
    ("complaint", PHRASE, "~(beschwerde|beschweren) * * * ~(datenschutz|aufsichtsbehörde|daten|einlegen)"),
    ("complaint", WEAK, "~(beschwerde|beschweren|inakzeptabel|unverschämt)"),
    ("complaint", PHRASE, "zum ~(zweiten|dritten|vierten|wiederholten|x-ten) mal|male"),
    ("complaint", PHRASE, "~(zweite|dritte|vierte|erneute) ~(aufforderung|mahnung|anfrage|erinnerung|bitte)"),
    ("complaint", PHRASE, "immer|noch noch|immer keine|nichts * * ~(antwort|reaktion|auskunft|gehört|erhalten|bestätigung)"),
    ("complaint", WEAK, "~(falsche|falschen|anderen|fremde|fremden|anderer) ~(person|empfänger|empfaenger|kunden|kunde|adresse|e-mail-adresse|mailadresse|leute|personen)"),
    ("complaint", PHRASE, "~(plainte|réclamation|reclamation) * * * ~(cnil|autorité|autorite|données|donnees|rgpd)"),
    ("complaint", PHRASE, "~(fuite|violation) de|des * ~(données|donnees)"),
    ("complaint", WEAK, "~(plainte|inadmissible|inacceptable|scandaleux)"),
    ("complaint", PHRASE, "~(deuxième|deuxieme|troisième|troisieme|énième|enieme|seconde|nouvelle) ~(fois|demande|relance|lettre|courrier)"),
    ("complaint", PHRASE, "toujours|jamais|aucune|pas * * ~(réponse|reponse|répondu|repondu|reçu|recu|nouvelle|nouvelles)"),
    ("complaint", WEAK, "~(mauvaise|mauvais|autre|mauvaises) ~(personne|destinataire|client|cliente|adresse|personnes)"),
    # Round 4: contact that goes on after an opt-out or objection, or an unsubscribe link that
    # does not work, is a complaint about our handling (LABELING.md); the mails rarely say so.
    ("complaint", PHRASE, "~(already|twice|repeatedly) * * ~(unsubscribed|objected|opted|asked|told|said|written|wrote)"),
    ("complaint", WEAK, "~(still|keep|keeps|kept) ~(getting|receiving|coming|sending|calling|emailing|mailing|phoning|ringing|texting)"),
    ("complaint", PHRASE, "~(unsubscribe|unsubscribing|unsubscribed|opt-out|opting|link) * * ~(did|does|didn't|doesn't|not|never|n't) * ~(work|working|worked)"),
    ("complaint", PHRASE, "~(al|reeds) * * ~(afgemeld|uitgeschreven|bezwaar|gevraagd|gezegd|laten|gemaild|geschreven)"),
    ("complaint", WEAK, "~(blijft|blijven|bleef) * ~(komen|mailen|bellen|sturen|appen|binnenkomen)"),
    ("complaint", PHRASE, "~(afmelden|afmelding|uitschrijven) * ~(werkt|werkte|helpt|hielp) ~(niet|nooit)"),
    ("complaint", PHRASE, "~(trotz|obwohl) * ~(abmeldung|widerspruch|abgemeldet|widersprochen|ausgetragen)"),
    ("complaint", PHRASE, "~(bereits|schon) * * ~(abgemeldet|widersprochen|ausgetragen|mitgeteilt|geschrieben|gebeten)"),
    ("complaint", PHRASE, "~(abmeldung|abmelden|austragen) * ~(funktioniert|klappt|hat) * ~(nicht|nie)"),
    ("complaint", PHRASE, "~(malgré|malgre) ~(ma|mon|mes) ~(désinscription|desinscription|opposition|demande|demandes|refus)"),
    ("complaint", PHRASE, "~(déjà|deja) * ~(désinscrit|désinscrite|desinscrit|desinscrite|opposé|opposée|demandé|demande|écrit|ecrit|dit)"),
    ("complaint", WEAK, "~(continuez|continue|continuent) * ~(envoyer|appeler|écrire|ecrire|contacter|arriver)"),
    # ---- counter-cues: the wording of a right used for ordinary work ----
    ("objection", COUNTER, "~(off|from|out) * * ~(thread|threads|chain|cc|loop|conversation|call|calls|meeting|meetings|rota|channel|project|invite|series|planning|minibus|visit|trip|updates|reports?)"),
    ("objection", COUNTER, "~(mailwisseling|mailthread|cc|overleg|vergadering|projectgroep|planning|statusmails|rapportage|bedrijfsbezoek|excursie)"),
    ("objection", COUNTER, "~(mailverlauf|projektverteiler|besprechung|terminserie|statusberichte|lagerberichte|exkursion|besichtigung)"),
    ("objection", COUNTER, "~(fil|réunion|reunion|visite|diffusion) ~(de|du|des)? ~(discussion|projet|suivi|l'entrepôt|l'entrepot)?"),
    ("objection", COUNTER, "~(einspruch|bezwaarschrift|contestation|appeal) * * ~(zollbescheid|bescheid|naheffing|douanebeschikking|aanslag|amende|avis|penalty|valuation|c18)"),
    ("rectification", COUNTER, "~(hs|eori|commodity|tariff|seal|container|invoice|zegel|tarief|goederencode|sh|nc) ~(code|codes|number|nummer|numéro|numero|nr)"),
    ("rectification", COUNTER, "~(eori-nummer|eori-number|zolltarifnummer|warennummer|warentarifnummer|hs-code|gn-code|taric-code|zegelnummer|containernummer)"),
    ("rectification", COUNTER, "~(declaration|declarations|entry|aangifte|invoeraangifte|uitvoeraangifte|anmeldung|zollanmeldung|ausfuhranmeldung|déclaration|declaration|versandschein|waybill|cmr|manifest|certificate|certificaat|zertifikat|certificat|invoice|factuur|rechnung|facture|consignee|ontvanger|empfänger|destinataire|notulen|minutes|protokoll|compte-rendu)"),
    ("restriction", COUNTER, "~(hold|holding|held|pause|freeze|frozen|suspend|block|stop) * * ~(shipment|consignment|container|containers|pallets?|goods|order|orders|booking|release|delivery|spend|hours|zending|container|levering|bestelling|sendung|lieferung|ware|auftrag|freigabe|envoi|conteneur|commande|livraison|marchandise)"),
    ("restriction", COUNTER, "~(shipment|consignment|container|containers|pallet|pallets|goods|order|booking|cargo|boxes) * * on hold"),
    ("restriction", COUNTER, "~(bonded|zolllager|douane-entrepot|entrepôt|entrepot|warehouse|magazijn|opslag|lager)"),
    ("restriction", COUNTER, "~(portal|portaal|portail|folder|map|ordner|dossier|account|rights|rechten|rechte|droits|zugriff|access|toegang|accès|acces) * * ~(read|lezen|lesezugriff|lecture|team|only|alleen|nur|seule)"),
    # "No objection to the new date", "geen bezwaar tegen de wijziging": agreeing, not objecting.
    ("objection", COUNTER, "~(no|geen|keine|keinen|kein|aucune|aucun|pas) ~(objection|objections|bezwaar|bezwaren|einwände|einwande|einwand|einwänden|einwendungen|widerspruch|bedenken|d'objection|opposition)"),
    ("objection", COUNTER, "nichts * ~(einzuwenden|dagegen)"),
    ("objection", COUNTER, "niets * * op tegen"),
    # "Stop sending us paper invoices, email only": how we send business mail, not marketing.
    ("objection", COUNTER, "~(paper|papieren|papier|gedruckte) ~(invoices?|facturen|factuur|rechnungen|rechnung|factures?|statements?|copies|kopieën|exemplare)"),
    ("objection", COUNTER, "~(papierrechnungen|papierrechnung|papierfacturen)"),
    # A thank-you reply that closes a handled request asks for nothing new.
    *((label, COUNTER, pattern) for label in ("access", "erasure", "rectification", "objection", "restriction", "withdrawal", "complaint") for pattern in (
        "no further|other|more questions|queries",
        "~(verder|verdere|overige) * ~(vragen|vraag)",
        "keine * ~(weiteren|weitere|anderen) ~(fragen|anliegen)",
        "~(aucune|pas|plus) * ~(autre|autres|d'autres) ~(question|questions)",
        "~(thanks|thank|thx) * * for * ~(confirming|confirmation|the|your) * ~(confirmation|overview|copy|list|file|export|deletion|correction|update|reply|answer)",
        "~(bedankt|dank|dankjewel) * * voor * ~(de|het|uw|jullie) * ~(bevestiging|overzicht|kopie|export|verwijdering|correctie|aanpassing|antwoord|reactie)",
        "~(danke|vielen|besten) * * für * ~(die|das|ihre|eure|den) * ~(bestätigung|bestaetigung|auskunft|übersicht|kopie|löschung|loeschung|berichtigung|korrektur|antwort|rückmeldung)",
        "merci * * pour * ~(la|le|votre|vos|les) * ~(confirmation|copie|liste|export|suppression|correction|réponse|reponse|retour)",
    )),
    # "Delete whatever you hold about me": what is held is the object of another right.
    # No "bin" or "wissen" here: in German they are "(ich) bin" and "to know" ("ich möchte
    # wissen, was Sie speichern" is the plainest access request there is).
    ("access", COUNTER, "~(delete|erase|remove|wipe|destroy|purge|scrap|verwijder|verwijderen|wis|gooi|schrap|schrappen|vernietig|lösche|löschen|loeschen|entfernen|vernichten|supprimer|supprimez|effacer|effacez|détruisez|detruisez|détruire|detruire) * * ~(what|whatever|everything|all|anything|wat|alles|was|tout|ce|tous|toutes)"),
    ("access", COUNTER, "~(correct|correcting|update|fix|verbeter|corrigeer|aanpassen|berichtigen|korrigieren|corriger|corrigez|rectifier|rectifiez) * * ~(what|whatever|everything|all|wat|alles|was|tout|ce)"),
    ("access", COUNTER, "~(copy|copies|kopie|afschrift|copie|inzage) * * * ~(declaration|declarations|entry|aangifte|invoeraangifte|anmeldung|zollanmeldung|déclaration|invoice|factuur|rechnung|facture|file|dossier|shipment|zending|sendung|envoi|contract|contrat|vertrag|certificate|certificaat|zertifikat|certificat|passport|paspoort|reisepass|passeport|ausweis|personalausweises|identiteitskaart|id)"),
)

# Concepts: words that mean the same across our four languages. The rule component gives
# each such token the concept as its NORM (the CNN's main feature), so "löschen", "supprimer",
# "verwijderen" and "delete" share what the model learned from any of them; it also appends one
# `__concept_<name>__` marker per concept found, for the bag-of-words model. Business words are
# concepts too: they are what tells "delete the duplicate invoice" from "delete my data".
CONCEPTS: dict[str, str] = {
    "delete": "~(delete[ds]?|deleting|deletion|erased?|erasing|removed?|removing|removal|wiped?|"
              "purged?|destroy(ed)?|scrub) ~(verwijder(en|d|t|ing)?|wis|gewist|wissing|"
              "vernietig(en|d|t)?|weghalen|weg) ~(lösch(en|e|t|ung)|gelöscht|loesch(en|e|ung)|"
              "geloescht|entfern(en|t)|vernichten|vernichtet) ~(supprim(er|ez|iez|e|é|ée|és|ées|"
              "ons)|suppression|effac(er|ez|iez|e|é|ée|és|ées)|effacement|détrui(re|sez))",
    "forget": "~(forget|forgotten|vergeten|vergetelheid|vergessen|vergessenwerden|oublié?)",
    "data": "~(personal|private|data|details|information|info|records?|files?|profiles?|"
            "(persoons)?gegevens|informatie|dossier|profiel|(personen)?daten|angaben|"
            "personenbezogenen?|informationen|datensätze|données|donnees|informations|"
            "coordonnées|coordonnees|personnelles?|profil)",
    "me": "~(me|my|myself|mine|mij|mijn|m'n|mich|mir|meine[nrms]?|moi|mes|mon|ma|m'|m’)",
    "access": "~(access|copy|copies|overview|inzage|inzageverzoek|kopie|afschrift|overzicht|"
              "auskunft|auskunftsersuchen|copie|accès|acces|d'accès|d’accès)",
    "hold": "~(hold|holds|holding|held|store[ds]?|stored|keep|kept|process(ed|ing)?|"
            "bewaren|bewaart|bewaard|opgeslagen|verwerken|verwerkt|verwerking|speichern|"
            "gespeichert|verarbeiten|verarbeitet|verarbeitung|conservez|détenez|detenez|"
            "traitez|traitement|conserver|stockées?)",
    "correct": "~(correct(ed|ion)?|rectif(y|ied|ication)|update[ds]?|amend(ed)?|misspelt|"
               "misspelled|corrigeren|corrigeer|aanpassen|wijzigen|verbeteren|rectificatie|"
               "rechtzetten|berichtig(en|ung)|korrigieren|korrektur|corriger|corrigez|"
               "rectifier|rectification|modifier)",
    "wrong": "~(wrong|incorrect|inaccurate|outdated|onjuist|onjuiste|verkeerd|verkeerde|fout|"
             "foutief|falsch|falsche|falscher|fehlerhaft|fehlerhafte|unrichtig|erronée?s?|"
             "inexacte?s?|incorrecte?s?|fausse|faux)",
    "name": "~(name|surname|naam|achternaam|voornaam|namen?|nachname|nom|prénom|prenom)",
    "address": "~(address|adres|adresse|anschrift|domicile)",
    "stop": "~(stop|stopp(en)?|cease|quit|ophouden|staken|aufhören|einstellen|unterlassen|"
            "arrêter|arrêtez|arreter|arretez|cessez|cesser)",
    "marketing": "~(marketing|newsletters?|mailings?|mailing-?list|promotions?|promotional|"
                 "advertising|sales|nieuwsbrief|nieuwsbrieven|reclame|aanbiedingen|werbung|"
                 "werbemails?|werbeanrufe|prospection|démarchage|publicités?|promotionnels?|"
                 "commerciales?)",
    "contact": "~(email(s|ing)?|e-mails?|mails?|calls?|calling|phon(e|ing)|texts?|texting|"
               "contact(ing)?|mailen|mailtjes|bellen|gebeld|telefoontjes|benaderen|anrufe?n?|"
               "angerufen|anschreiben|kontaktieren|appel(s|er|ez)?|appelé|courriels?|contacter|"
               "sollicitations)",
    "unsubscribe": "~(unsubscribe[d]?|unsub|opt-?out|afmelden|afmelding|uitschrijven|"
                   "abmelden|abmeldung|abbestellen|austragen|désabonner|desabonner|"
                   "désinscrire|desinscrire|désinscription|désabonnement)",
    "list": "~(list|lists|verzendlijst|lijst|bestand|liste|verteiler|fichier|fichiers)",
    "object": "~(object|objects|objecting|objection|bezwaar|widerspruch|widerspreche|"
              "widersprechen|oppose|opposer|opposition)",
    "consent": "~(consent|toestemming|instemming|einwilligung|zustimmung|einverständnis|"
               "consentement)",
    "withdraw": "~(withdraw|withdrawing|withdrawn|withdrew|revoke[ds]?|revoking|retract|"
                "intrekken|intrek|trek|ingetrokken|widerrufe[n]?|widerruf|zurückziehen|"
                "zurueckziehen|entziehe|retire|retirer|révoque|révoquer|revoque|retrait)",
    "restrict": "~(restrict(ed|ion)?|limit(ed)?|freeze|frozen|pause|suspend(ed)?|block(ed)?|"
                "beperk(en|ing|t)?|blokkeren|bevriezen|opschorten|einschränk(en|ung)|"
                "einschraenk(en|ung)|sperr(en|ung)|limiter|limitation|geler|gel|suspendre)",
    "until": "~(until|pending|while|meanwhile|zolang|totdat|solange|bis|tant|attendant)",
    "format": "~(csv|json|xml|excel|spreadsheet|machine-readable|readable|structured|format|"
              "formaat|machineleesbaar|machineleesbare|maschinenlesbar(en|em)?|lisible|"
              "structuré|gestructureerd|portability|dataportabiliteit|datenübertragbarkeit|"
              "portabilité|portabilite)",
    "transfer": "~(transfer|transmit|overdragen|overzetten|übertragen|uebertragen|"
                "übermitteln|transférer|transferer|transmettre|provider|aanbieder|anbieter|"
                "fournisseur|competitor)",
    "complaint": "~(complaint|complain|complaining|complained|klacht|klachten|beklag|"
                 "beschwerde|beschweren|plainte|réclamation|reclamation)",
    "regulator": "~(ico|commissioner|regulator|authority|autoriteit|toezichthouder|"
                 "datenschutzbehörde|datenschutzbehoerde|aufsichtsbehörde|"
                 "datenschutzbeauftragte[n]?|cnil|autorité|autorite)",
    "leak": "~(leak|leaked|breach|datalek|lek|datenpanne|datenleck|fuite|violation)",
    "privacy": "~(gdpr|uk-gdpr|avg|dsgvo|ds-gvo|rgpd|privacy|datenschutz|confidentialité)",
    "legal": "~(law|lawyer|solicitor|legal|advocaat|jurist|anwalt|rechtsanwalt|avocat|"
             "juridique|rechtlich)",
    "invoice": "~(invoices?|factuur|facturen|rechnung(en)?|facture[s]?|credit(nota)?|payment|"
               "betaling|zahlung|paiement|quote|quotation|offerte|angebot|devis|price|prijs|"
               "preis|prix|fee|fees|tarief|kosten|coût|cout)",
    "shipment": "~(shipments?|consignments?|containers?|pallets?|cargo|freight|goods|zending|"
                "zendingen|lading|goederen|sendung(en)?|ladung|envoi|marchandises?|"
                "colis|livraison|delivery|levering|lieferung)",
    "customs": "~(customs|declarations?|entry|entries|hs|tariff|duty|duties|vat|eori|aeo|"
               "douane|aangifte|invoerrechten|btw|naheffing|zoll|zollanmeldung|zolltarif|"
               "einfuhr|ausfuhr|mwst|douanes?|déclaration|dédouanement|tva|incoterms?)",
    "event": "~(meeting|meetings|webinar|course|training|seminar|workshop|invite|invitation|"
             "vergadering|overleg|cursus|training|besprechung|termin|schulung|réunion|"
             "formation|séminaire|atelier|thread|agenda)",
    "job": "~(application|applicant|vacancy|cv|resume|interview|sollicitatie|vacature|"
           "sollicitant|bewerbung|bewerber(in)?|stelle|lebenslauf|candidature|poste|"
           "entretien)",
    "colleague": "~(colleague|colleagues|collega|collega's|kollege|kollegin|kollegen|"
                 "collègue|collègues)",
}

# Words that belong to a concept in one language only: Dutch "wissen" is to erase, German
# "wissen" is to know ("ich möchte wissen, welche Daten Sie haben"). The language is the one
# detected for the mail (Classifier.make_doc puts it in doc.user_data).
LANGUAGE_CONCEPTS: dict[str, dict[str, str]] = {
    "nl": {"delete": "wissen"},
    "de": {"shipment": "waren"},  # Dutch "waren" is "were"
}

# Deletion refused or put off: "please don't delete it", "niet verwijderen", "bitte nicht
# löschen", "ne supprimez rien", "I'm not asking for deletion", "ich habe nicht um Löschung
# gebeten", "I don't want anything deleted", "before I decide whether to ask for deletion",
# "eventuell später die Löschung". Such a mail asks us to keep the data (a restriction) or
# only wants to know what we hold (access): the opposite of erasure, and the textcat alone
# cannot tell, it sees the delete word. A deletion word with a negation or a "maybe later" in
# its clause gets the concept "not_delete" instead of "delete", and erasure cues running
# through it are dropped. What is left alone: "you have not deleted it" / "meine Daten
# wurden nicht gelöscht" (a complaint that we did not), "not only delete", "nicht nur
# löschen", "why don't you delete", "can't delete", a negation in another clause ("Not happy.
# Delete my data."), and a noun after which a negation follows ("die Löschung ist nicht
# erfolgt").
NOT_DELETE_CONCEPT = "not_delete"
# Tokens looked at before / after the deletion word, within its clause.
NEGATION_BEFORE, NEGATION_AFTER, DEFERRED_BEFORE, DEFERRED_AFTER = 4, 4, 5, 3
NEGATED_DELETE = {
    # Base forms and imperatives: negated before or (nl/de/fr word order) after.
    "verbs": "~(delete|erase|remove|wipe|destroy|purge|deleting|erasing|removing|verwijder|"
             "verwijderen|wis|vernietig|vernietigen|weghalen|lösche|löschen|loeschen|entfernen|"
             "vernichten|supprimer|supprimez|supprimiez|effacer|effacez|effaciez|détruire|"
             "détruisez|detruire|detruisez)",
    # Participles and nouns: negated before only ("I don't want it deleted", "nicht um
    # Löschung gebeten"); after them a negation says it did not happen.
    "participles": "~(deleted|erased|removed|wiped|destroyed|verwijderd|gewist|vernietigd|"
                   "gelöscht|geloescht|entfernt|vernichtet|supprimé|supprimée|supprimés|"
                   "supprimées|effacé|effacée|effacés|effacées|détruit|détruites)",
    "nouns": "~(deletion|erasure|removal|verwijdering|wissing|löschung|loeschung|"
             "löschantrag|suppression|effacement)",
    "before": "~(n't|not|never|nothing|without|dont|niet|nooit|niets|zonder|nicht|nichts|ohne|"
              "sans|ne|n'|pas|jamais|rien)",
    "after": "~(niet|niets|nicht|nichts|pas|rien|nothing)",
    "deferred": "~(later|eventually|maybe|perhaps|possibly|whether|decide|misschien|wellicht|"
                "eventueel|beslis|beslissen|vielleicht|eventuell|später|ob|entscheide|"
                "entscheiden|peut-être|éventuellement|tard|décider|déciderai)",
    # A participle is refused only by someone who wants it so ("I don't want anything
    # deleted", "dat hoeft niet verwijderd te worden"); "also nicht gelöscht", "dus niet
    # verwijderd", "rien n'a été effacé" say it did not happen.
    "want": "~(want|wants|wish|need|needs|hoeft|hoeven|wil|willen|wens|will|wollen|möchte|"
            "moechte|soll|sollen|muss|müssen|veux|voulez|souhaite|souhaitons|faut)",
    # "not only delete", "nicht nur löschen", "can't you just delete", "without delay": still a
    # deletion.
    "not_refusal_next": "~(only|just|simply|alleen|gewoon|enkel|nur|einfach|seulement|"
                        "uniquement|simplement|delay|undue|délai|delai|retard|vertraging|"
                        "uitstel|verzögerung|verzoegerung|schuldhaftes|aufschub)",
    # A negation after these is about what happened or can happen: "you have not deleted it",
    # "why don't you delete", "can't delete", "zijn nog niet verwijderd", "wurden bis heute
    # nicht gelöscht", "n'ont pas été supprimées". Not looked at for nouns ("ich habe nicht um
    # Löschung gebeten" refuses one).
    "not_refusal_before": "~(did|does|has|have|had|was|were|is|are|can|could|ca|wo|would|"
                          "will|should|why|zijn|waren|werd|werden|wordt|heeft|hebben|"
                          "hebt|kan|kunnen|waarom|ist|sind|war|wurde|wurden|wird|hat|haben|"
                          "kann|können|warum|a|ont|est|sont|été|était|avez|avait|peut|"
                          "pouvez|pourquoi)",
    "clause_end": "~(\\.|,|;|:|!|\\?|–|-|—|\\(|\\)|but|maar|aber|sondern|mais|and|en|und|et|"
                  "zodat|damit|dass|that|because|omdat|weil|car|parce)",
}

# The concepts that speak for each label: when a label has no cue match, staff are shown the
# sentence with the most of these words.
LABEL_CONCEPTS: dict[str, frozenset[str]] = {
    "access": frozenset({"access", "hold", "data"}),
    "rectification": frozenset({"correct", "wrong", "name", "address"}),
    "erasure": frozenset({"delete", "forget", "data"}),
    "objection": frozenset({"object", "stop", "unsubscribe", "marketing", "contact", "list"}),
    "restriction": frozenset({"restrict", "until", "hold", NOT_DELETE_CONCEPT}),
    "withdrawal": frozenset({"withdraw", "consent"}),
    "portability": frozenset({"format", "transfer"}),
    "complaint": frozenset({"complaint", "regulator", "leak", "privacy"}),
}
