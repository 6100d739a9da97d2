"""The cue lexicon: phrases that are strong evidence of a right, in four languages.

Written by us from the wording of the GDPR/AVG/DSGVO/RGPD and how people actually write.
Each cue is (label, weight, pattern). A pattern is space-separated token specs:
  word|other   one of these lower-cased tokens
  ~regex       a token whose lower-cased text fully matches the regex
  X?           (suffix) the token is optional
  *            any one token, optional
Weights: 0.95 names the right or cites its article; 0.75 a phrase that on its own asks for
the right; 0.5 a phrase that points to it but also occurs in ordinary mail.
"""

from __future__ import annotations

# Reusable token specs.
MY = "my|mine|me"
DATA_EN = "~(personal|private)?(data|details|information|info|records?|file|profile)"
DATA_NL = "~(persoons)?(gegevens|data|info|informatie|dossier|profiel)"
DATA_DE = "~((personen)?(daten|angaben|informationen|datensätze|profil)|personenbezogenen?)"
DATA_FR = "~(données|donnees|informations|coordonnées|coordonnees|dossier|profil)"
MIJN = "mijn|m'n|mn|me|mij"
MEINE = "meine|meiner|meinen|mich|mir"
MES = "mes|ma|mon|me|moi"

CUES: tuple[tuple[str, float, str], ...] = (
    # ---- access (Art. 15) ----
    ("access", 0.95, "subject access request|requests"),
    ("access", 0.95, "~(dsars?|sars?)"),
    ("access", 0.95, "right of|to access"),
    ("access", 0.95, "~art(icle|ikel|\\.)? ~15(\\(\\d\\))?"),
    ("access", 0.95, "~art\\.?15"),
    ("access", 0.75, "copy|copies of * * " + DATA_EN),
    ("access", 0.75, "what|which " + DATA_EN + " do|does you|your * hold|have|keep|store|process"),
    ("access", 0.75, "what|which " + DATA_EN + " you|u have|hold|keep|store"),
    ("access", 0.75, "what do you have|hold|know|keep on|about me"),
    ("access", 0.75, "all|everything * you|u hold|have|keep|store * on|about me"),
    ("access", 0.75, "access to " + MY + " * " + DATA_EN),
    ("access", 0.95, "~inzage(verzoek|recht|aanvraag)?"),
    ("access", 0.75, "welke " + DATA_NL + " * * hebben|heeft|verwerken|bewaren|bewaart|verwerkt"),
    ("access", 0.75, "kopie|overzicht van * " + MIJN + "? " + DATA_NL),
    ("access", 0.95, "~auskunft(sersuchen|santrag|sanfrage|sverlangen|srecht)?"),
    ("access", 0.75, "welche " + DATA_DE + " * * speichern|gespeichert|verarbeiten|haben"),
    ("access", 0.75, "kopie " + MEINE + "? " + DATA_DE),
    ("access", 0.95, "droit d'|d’|de ~acc[eè]s"),
    ("access", 0.95, "~d['’]acc[eè]s"),
    ("access", 0.75, "quelles " + DATA_FR + " * * ~d[ée]tenez|conservez|traitez|avez"),
    ("access", 0.75, "copie de|des * " + MES + "? " + DATA_FR),
    ("access", 0.75, "~(communiquer|transmettre|envoyer) * ~(l'ensemble|toutes?) * " + DATA_FR),
    # ---- rectification (Art. 16) ----
    ("rectification", 0.95, "~rectif(y|ication|ied)"),
    ("rectification", 0.95, "~art(icle|ikel|\\.)? ~16(\\(\\d\\))?"),
    ("rectification", 0.75, "correct|update|fix|amend|change " + MY + " * " + DATA_EN),
    ("rectification", 0.75, "correct|update|fix|amend|change the|your record|records|details"),
    ("rectification", 0.75, MY + " name|surname|address|birth|details|email is|are * wrong|incorrect|misspelt|misspelled|inaccurate|outdated"),
    ("rectification", 0.5, "~(inaccurate|incorrect|wrong|misspelt|misspelled)"),
    ("rectification", 0.95, "~(rectificatie|rectificeren|correctierecht)"),
    ("rectification", 0.75, "~(corrigeer|corrigeren|aanpassen|wijzigen|verbeteren|aanvullen|rechtzetten) * * " + DATA_NL),
    ("rectification", 0.75, MIJN + " " + DATA_NL + " * * ~(corrigeren|aanpassen|wijzigen|verbeteren|aanvullen|onjuist|fout|verkeerd)"),
    ("rectification", 0.5, "~(onjuist|onjuiste|verkeerd|verkeerde|foutief|foutieve)"),
    ("rectification", 0.95, "~(berichtigung(sanspruch|santrag)?|berichtigen)"),
    ("rectification", 0.75, "~(korrigieren|korrektur|aktualisieren|vervollständigen)"),
    ("rectification", 0.5, "~(falsch|falsche|falscher|fehlerhaft|fehlerhafte|unrichtig|unrichtige)"),
    ("rectification", 0.95, "~(rectifier|rectification|rectifiez)"),
    ("rectification", 0.75, "~(corriger|correction|corrigez|compléter|completer|mettre) * * " + DATA_FR),
    ("rectification", 0.5, "~(erronée?s?|erronee?s?|inexacte?s?|incorrecte?s?)"),
    # ---- erasure (Art. 17) ----
    ("erasure", 0.95, "right to be forgotten|erasure"),
    ("erasure", 0.95, "~erasure"),
    ("erasure", 0.95, "~art(icle|ikel|\\.)? ~17(\\(\\d\\))?"),
    ("erasure", 0.95, "~art\\.?17"),
    ("erasure", 0.75, "~(delete|erase|remove|wipe|purge|destroy|scrub) " + MY + "? * " + DATA_EN),
    ("erasure", 0.75, "~(delete|erase|remove|wipe) " + MY + " account|cv|resume|email|address|number"),
    ("erasure", 0.75, "~(delete|erase|remove|wipe) me from * your? system|systems|database|records|files|crm"),
    ("erasure", 0.75, "forget me|about me"),
    ("erasure", 0.75, DATA_EN + " * * ~(deleted|erased|removed|wiped|destroyed)"),
    ("erasure", 0.95, "recht op vergetelheid|verwijdering|gegevenswissing"),
    ("erasure", 0.95, "~(verwijderingsverzoek|gegevensverwijdering|vergetelheid)"),
    ("erasure", 0.75, "~(verwijder|verwijderen|wis|wissen|vernietig|vernietigen) " + MIJN + "? * " + DATA_NL),
    ("erasure", 0.75, MIJN + " * " + DATA_NL + " * * ~(verwijderen|verwijderd|wissen|gewist|vernietigen|weghalen|weg)"),
    ("erasure", 0.75, "vergeet mij|me"),
    ("erasure", 0.75, "~(verwijder|verwijderen|wis) " + MIJN + " account|cv|sollicitatie"),
    ("erasure", 0.95, "~(löschung|loeschung|löschen|loeschen|löschantrag)"),
    ("erasure", 0.95, "recht auf vergessenwerden|vergessen"),
    ("erasure", 0.75, MEINE + " * " + DATA_DE + " * * ~(löschen|gelöscht|loeschen|geloescht|entfernen|entfernt|vernichten)"),
    ("erasure", 0.95, "~(effacement|l['’]effacement|oubli|l['’]oubli)"),
    ("erasure", 0.75, "~(supprimer|supprimez|effacer|effacez|détruire|detruire) * * " + DATA_FR),
    ("erasure", 0.75, DATA_FR + " * * ~(supprimées?|supprimees?|effacées?|effacees?)"),
    ("erasure", 0.75, "~(supprimer|supprimez|effacer) mon compte"),
    # ---- restriction (Art. 18) ----
    ("restriction", 0.95, "~restrict(ion)? * of|the? processing"),
    ("restriction", 0.95, "~(restrict(ion)?|limit) * processing|use|using"),
    ("restriction", 0.95, "~art(icle|ikel|\\.)? ~18(\\(\\d\\))?"),
    ("restriction", 0.75, "~(freeze|pause|suspend|block) * * ~(processing|use|using)"),
    ("restriction", 0.75, "~(keep|retain|hold|store) * but * not|n't|stop use|using|process|processing"),
    ("restriction", 0.75, "do|don't|not * not? use " + MY + " * " + DATA_EN + " until|while|pending"),
    ("restriction", 0.95, "beperking|beperken van * verwerking"),
    ("restriction", 0.95, "~(beperking|beperken|blokkeren|bevriezen|opschorten|stopzetten)"),
    ("restriction", 0.75, "niet * ~(gebruiken|verwerken) * * zolang|totdat|tot|terwijl"),
    ("restriction", 0.95, "~(einschränkung|einschraenkung|einschränken|einschraenken|sperrung|sperren)"),
    ("restriction", 0.75, "nicht * ~(verwenden|nutzen|verarbeiten|weiterverarbeiten) * * solange|bis"),
    ("restriction", 0.95, "~(limitation|limiter|limitez|restreindre|gel|geler|suspendre|suspension)"),
    ("restriction", 0.75, "~(conserver|conservez|garder|gardez) * * mais|sans * ~(utiliser|traiter|exploiter)"),
    # ---- objection (Art. 21) ----
    ("objection", 0.95, "right to object"),
    ("objection", 0.95, "~art(icle|ikel|\\.)? ~21(\\(\\d\\))?"),
    ("objection", 0.75, "i object|objecting|am objecting"),
    ("objection", 0.75, "~object(ion)? to * * ~(processing|marketing|use|profiling|calls|emails|mailing|newsletter)"),
    ("objection", 0.75, "~(stop|cease|quit) * * ~(emailing|mailing|e-?mails?|calling|calls|texting|contacting|sending|spamming|marketing|newsletters?|messages|phoning)"),
    ("objection", 0.75, "~(unsubscribe|opt-out|optout|unsub)"),
    ("objection", 0.75, "opt me out|out of"),
    ("objection", 0.75, "~(take|remove|delete|drop) me off|from * * ~(mailing|marketing|newsletter|list|lists|distribution|database)"),
    ("objection", 0.75, "no|don't|not * more|longer * ~(emails?|calls|newsletters?|marketing|mailings|messages|contact|spam|texts)"),
    ("objection", 0.75, "direct marketing"),
    ("objection", 0.95, "~(bezwaar|bezwaarschrift)"),
    ("objection", 0.75, "~(afmelden|uitschrijven|afmelding|uitschrijving)"),
    ("objection", 0.75, "~(stop|stoppen|ophouden) * * ~(mailen|mailtjes|e-?mails|bellen|sturen|nieuwsbrief|nieuwsbrieven|reclame|marketing)"),
    ("objection", 0.75, "geen|niet * * ~(mails|e-?mails|nieuwsbrief|nieuwsbrieven|reclame|marketing|mailings|telefoontjes) * meer"),
    ("objection", 0.75, "niet meer * * ~(mailen|bellen|benaderen|contacteren|sturen)"),
    ("objection", 0.95, "~(widerspruch|widerspreche|widersprechen|werbewiderspruch)"),
    ("objection", 0.75, "~(abmelden|abbestellen|austragen)"),
    ("objection", 0.75, "keine * * ~(werbung|newsletter|e-?mails|mails|anrufe|werbemails) * mehr"),
    ("objection", 0.95, "~(opposition|m['’]oppose|oppose|opposer|opposons)"),
    ("objection", 0.75, "~(désabonner|desabonner|désinscrire|desinscrire|désinscription|desinscription|désabonnement)"),
    ("objection", 0.75, "~(arrêter|arreter|cessez|arrêtez|arretez) * * ~(envoyer|m['’]envoyer|appeler|m['’]appeler|prospection|newsletters?|mails|courriels|publicités?|démarchage)"),
    ("objection", 0.75, "plus * * ~(mails|courriels|newsletters?|publicités?|appels|prospection|démarchage)"),
    # ---- withdrawal (Art. 7(3)) ----
    ("withdrawal", 0.95, "~(withdraw(ing|n|al)?|revok(e|ing)|retract(ing)?) * * consent"),
    ("withdrawal", 0.95, "~(withdraw(ing|n)?|revoke) * * * * consent"),
    ("withdrawal", 0.95, "~art(icle|ikel|\\.)? ~7\\(3\\)"),
    ("withdrawal", 0.75, "no longer consent|agree|give|gave"),
    ("withdrawal", 0.75, "consent * * * ~(withdrawn|revoked|cancelled|canceled)"),
    ("withdrawal", 0.75, "~(do|don't|not) not? consent|agree * longer"),
    ("withdrawal", 0.95, "~(intrekken|intrekking|trek|trekken) * * * ~(toestemming|instemming|akkoord|goedkeuring)"),
    ("withdrawal", 0.95, "~(toestemming|instemming) * * * ~(intrekken|in|ingetrokken)"),
    ("withdrawal", 0.75, "niet langer|meer * akkoord|toestemming"),
    ("withdrawal", 0.95, "~(widerrufe|widerrufen|widerruf|zurückziehen|zurueckziehen|entziehe|ziehe) * * * ~(einwilligung|zustimmung|einverständnis|einverstaendnis)"),
    ("withdrawal", 0.95, "~(einwilligung|zustimmung|einverständnis) * * * ~(widerrufe|widerrufen|zurück|zurueck|entzogen)"),
    ("withdrawal", 0.95, "~(retire|retirer|retirons|révoque|revoque|révoquer|revoquer|retrait) * * * ~(consentement|accord)"),
    ("withdrawal", 0.95, "~(consentement|accord) * * ~(retiré|retire|révoqué|revoque)"),
    # ---- portability (Art. 20) ----
    ("portability", 0.95, "~(portability|portable)"),
    ("portability", 0.95, "~art(icle|ikel|\\.)? ~20(\\(\\d\\))?"),
    ("portability", 0.75, "~(machine-readable|machine|structured) * * readable|format|csv|json|xml|export"),
    ("portability", 0.75, "~(csv|json|xml|excel) * * * " + DATA_EN),
    ("portability", 0.75, "~(transfer|transmit|send|move|port) * * " + DATA_EN + " * * to * ~(new|another|other|competitor)"),
    ("portability", 0.95, "~(dataportabiliteit|overdraagbaarheid|overdragen)"),
    ("portability", 0.95, "~(datenübertragbarkeit|datenuebertragbarkeit|übertragbarkeit|uebertragbarkeit)"),
    ("portability", 0.95, "~(portabilité|portabilite)"),
    ("portability", 0.75, "~(maschinenlesbar|maschinenlesbaren|machineleesbaar|machineleesbare|lisible)"),
    # ---- complaint ----
    ("complaint", 0.95, "~(ico|datenschutzbehörde|datenschutzbehoerde|landesdatenschutzbeauftragte|cnil|apd|gba|edoeb)"),
    ("complaint", 0.95, "autoriteit persoonsgegevens"),
    ("complaint", 0.95, "information commissioner|commissioner's"),
    ("complaint", 0.75, "~(complain|complaint|complaining) * * * ~(regulator|commissioner|authority|data|privacy|gdpr|breach|leak)"),
    ("complaint", 0.75, "~(data|privacy) ~(breach|leak|incident)"),
    ("complaint", 0.75, "~(datalek|datalekken|privacyschending|privacyklacht)"),
    ("complaint", 0.75, "~(klacht|klachten) * * * ~(privacy|gegevens|persoonsgegevens|avg|toezichthouder)"),
    ("complaint", 0.75, "~(datenpanne|datenleck|datenschutzbeschwerde|datenschutzverstoß|datenschutzverstoss)"),
    ("complaint", 0.75, "~(beschwerde|beschweren) * * * ~(datenschutz|aufsichtsbehörde|daten)"),
    ("complaint", 0.75, "~(plainte|réclamation|reclamation) * * * ~(cnil|autorité|autorite|données|donnees|rgpd)"),
    ("complaint", 0.75, "~(fuite|violation) de|des * ~(données|donnees)"),
)
