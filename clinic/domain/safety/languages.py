"""The red-flag words of the other languages patients in France write in, alone or mixed with
French: English is in `lexicon` (it came first); here Spanish, Italian and Portuguese (round 12),
Romanian, Turkish and Moroccan darija in Latin letters (round 13, with 3, 7 and 9 for Arabic
sounds). The commonest words of each sign, not translations of the corpus's sentences. Like
English, the French model neither vetoes nor reads them (`english`).

Words the patterns cannot reach in another language still meet two nets: the model, trained on
every round, and the foreign line (`language`): a message plainly not French gets the 15 / 112
in several languages first.

Over 400 lines on purpose, like `lexicon`: a table read by category.
"""

from __future__ import annotations

from clinic.domain.safety.lexicon import C, Rule, english

#: A child, a baby, in these languages (a burn on a child is a red flag).
_CHILD = (
    r"bebe\w*|nin[oa]s?|hij[oa]s?|bambin\w*|figli\w*|filh[oa]s?|crianca|copil\w*|fiul\w*|fiica|"
    r"baiat\w*|fetit\w*|cocu\w*|oglum|kizim|bebek\w*|bebeg\w*|wld\w*|wlid\w*|bnt\w*|dri\b|drri|"
    r"sghir\w*|\b(?:[1-9]|1[0-2]) (?:anos|anni|ani|yas\w*|snin|ans)\b"
)
#: Fever, in these languages.
_FEVER = (
    r"fiebre|febbre|febre|febra|ates\w*|skhana|s5ana|sekhana|sxana|7rara|\b3[89]\b|\b40\b|fievre"
)
#: Pregnant, in these languages.
_PREGNANT = (
    r"embarazada|incinta|gravida|gravidez|gestante|insarcinata|gravida|hamile\w*|hamla|7amla|"
    r"hbla|7bla|ciazy|w ciazy|enceinte|grossesse|\b[2-4]\d ?(?:semanas|settimane|saptamani|haftalik|simana)"
)
#: Sudden, in these languages (stroke, confusion).
_SUDDEN = r"de repente|derepente|improvvisa\w*|all improvviso|subit\w*|brusc\w*|birden|fjou2a|fja2a|d un coup"

FOREIGN_RULES: tuple[Rule, ...] = (
    # --- breathing ------------------------------------------------------------------------
    english(
        C.BREATHING,
        r"no (?:\w+ ){0,1}(?:puede|puedo|podia) respirar",
        r"(?:me|se|te) ahog\w*",
        r"falta (?:de )?(?:aire|ar)\b",
        r"non (?:\w+ ){0,1}(?:riesce|riesco|riusciva) a respirare",
        r"(?:mi |gli |le )?manca (?:il fiato|l aria)",
        r"soffoc\w*",
        r"nao (?:\w+ ){0,1}(?:consegue|consigo) respirar",
        r"sufoc\w*",
        r"nu (?:mai )?(?:poate|pot|poti) (?:sa )?respir\w*",
        r"nu (?:are|am) aer",
        r"nefes (?:\w+ ){0,1}(?:alamiyor\w*|alamiyo\w*|alamadi\w*|almakta zorlan\w*|darlig\w*)",
        r"nefes\w* (?:\w+ ){0,1}(?:kesil\w*|daral\w*|yetmiyor)",
        r"bogul\w*",
        r"ma (?:\w+ ){0,1}(?:kay|ka|kan|kat|ki)?t?n[e]?f+e?s\w*",
        r"(?:tkhne9|mkhnou9|tkhn9|khne9|m5nou9)\w*",
        r"ma ?9[e]?d[e]?r\w* (?:\w+ ){0,1}y?i?t?n[e]?f+e?s\w*",
        r"(?:wla|wlla|wlat|wllat|rja3|rj3|rje3) (?:\w+ ){0,1}(?:zre9|zr9|zer9|zar9a|zr9a|zar9)\b",
        r"kaysf[e]?r (?:\w+ ){0,1}(?:f )?s[e]?dr\w*",
        r"ma ?(?:ka|kat|kay)?[9q][e]?d[e]?r\w* (?:\w+ ){0,1}t?e?t?n[e]?f+e?s\w*",
        # Polish
        r"nie (?:\w+ ){0,1}(?:moze|moge|mozna) (?:\w+ ){0,1}oddychac",
        r"dusi (?:sie|się)",
        r"(?:labios|labbra|labios|buzele|dudaklar\w*|chfayf\w*) (?:\w+ ){0,2}(?:morad\w*|azul\w*|blu|viola\w*|roxo\w*|vinet\w*|albastr\w*|morar\w*|zr9\w*)",
    ),
    # --- chest pain ----------------------------------------------------------------------------
    english(
        C.CHEST_PAIN,
        r"dolor\w* (?:\w+ ){0,5}(?:pecho|torax)",
        r"dolore (?:\w+ ){0,5}(?:petto|torace)",
        r"dor (?:\w+ ){0,5}peito",
        r"(?:pecho|petto|peito) (?:\w+ ){0,3}(?:duele|fa male|doi|aperta|oprime|stringe)",
        r"(?:infarto|ataque al corazon|attacco di cuore|ataque cardiaco|infarct|kalp krizi)",
        r"dur\w* (?:\w+ ){0,4}(?:in|la|de) piept",
        r"(?:ma )?(?:strange|apasa|doare) (?:\w+ ){0,2}(?:in )?piept\w*",
        r"gogs\w* (?:\w+ ){0,2}(?:agri\w*|sikis\w*|sancis\w*|bask\w*)",
        r"gogus (?:\w+ ){0,1}agri\w*",
        r"\bs[e]?dr\w* (?:\w+ ){0,3}(?:kaydr|kayderr|kaydir|kayzir|kaydrni|kaydirni|m7zer|wj3|ta3n|kaykhn9|kaykhnq)\w*",
        r"(?:wj3|wja3|lwj3) (?:\w+ ){0,2}(?:f |fi )?s[e]?dr\w*",
    ),
    # Antillean creole: « an tini on doulè ka séré mwen an mitan lestomak », « bra gòch »
    english(
        C.CHEST_PAIN,
        r"doul[e]? (?:\w+ ){0,6}(?:lestomak|lestonmak|pwatrin\w*|\bke\b)",
        with_=r"bra goch|ka sere|ka swe|swe\b|sere",
    ),
    # --- stroke -------------------------------------------------------------------------------
    english(
        C.STROKE,
        r"(?:cara|boca|bocca|faccia|viso|rosto|gura|fata|agz\w*|yuz\w*|fomm\w*|wjh\w*) (?:\w+ ){0,2}"
        r"(?:torcid\w*|stort\w*|tort[ao]\b|stramb\w*|kaydi|kaymis|yamul\w*|mayl\w*|m3a?w[e]?j\w*|3wej)",
        r"(?:ictus|derrame cerebral|accidente cerebrovascular|accident vascular|felc|inme gecir\w*)",
        r"\bavc\b",
        r"(?:no puede|non riesce a|non puo|nao consegue|nu (?:mai )?poate|ma (?:\w+ ){0,1}(?:kay|ka)?)"
        r" ?(?:hablar|parlare|falar|vorbi|mover|muovere|mexer|misca|hder|t?e?hd[e]?r)\w*",
        r"konusamiyor\w*|konusam\w*|kolu (?:\w+ ){0,1}tutmuyor|kolunu kaldiram\w*",
        with_=_SUDDEN + r"|torcid|stort|torta|stramb|kaydi|yamul|braccio|brazo|braco|bratul|kol|"
        r"dra3\w*",
    ),
    # --- unconscious -----------------------------------------------------------------------
    english(
        C.UNCONSCIOUS,
        r"svenut\w*",
        r"non si (?:ri)?svegli\w*",
        r"no (?:se )?despierta",
        r"desmay\w*",
        r"desmaiou",
        r"perdeu (?:os )?sentidos",
        r"(?:perdio|perso|perdeu) (?:el |il |a )?(?:conocimiento|conoscenza|consciencia|consciencia)",
        r"no responde",
        r"non risponde",
        r"nao (?:responde|acorda)",
        r"lesin\w*",
        r"nu (?:mai )?(?:raspunde|se trezeste|reactioneaza)",
        r"inconstient\w*|si a pierdut cunostinta",
        r"bayil(?!mad|miyor|mayacak)\w*",
        r"bilinci (?:\w+ ){0,1}(?:yok|kapali|gitti|kapandi)",
        r"uyanmiyor|tepki vermiyor|kendinde degil",
        r"ma (?:\w+ ){0,1}(?:ifi9|yfi9|fi9|ifiq|yfiq|fa9|faq|fay9|fayq)\w*",
        r"ma (?:\w+ ){0,1}(?:kay|ka)?jaw[e]?b\w*",
        r"(?:ghma|ghmi|t7ma|tghma|ghmat|ghmaw) 3li\w*",
    ),
    # --- seizure -------------------------------------------------------------------------------
    english(
        C.SEIZURE,
        r"convuls\w*",
        r"crisis (?:\w+ ){0,1}epilep\w*|crisi (?:\w+ ){0,1}epilett\w*|crise (?:\w+ ){0,1}epilep\w*",
        r"criza (?:\w+ ){0,1}(?:de )?epilep\w*",
        r"(?:kriz|nobet|havale) (?:\w+ ){0,1}gec\w*",
        r"kasil\w*",
        r"tremura tot|tiembla (?:todo|entero)|trema tutto|treme todo",
        r"\b(?:kay|ka)?t?s[e]?r[e]?3\w*|\bsra3\b|\bsr3\b",
        r"agz\w* (?:\w+ ){0,1}kopuk",
        r"gozleri (?:\w+ ){0,1}(?:kaydi|dondu|kaymis)",
    ),
    # --- bleeding ----------------------------------------------------------------------------
    english(
        C.BLEEDING,
        r"sangr\w* (?:\w+ ){0,3}(?:much\w*|muit\w*|sin parar|no para|nao para)",
        r"(?:mucha|muito|tanta|molto|tanto) sang\w*",
        r"sanguin\w* (?:\w+ ){0,3}(?:tanto|tantissimo|molto|non si ferma|senza sosta)",
        r"perde (?:molto |tanto )?sangue",
        r"(?:vomit\w*|tose\w*|tossisce|tosse) (?:\w+ ){0,1}sang\w*",
        r"sangereaz\w* (?:\w+ ){0,3}(?:foarte|tare|mult|nu se opreste)",
        r"(?:mult|foarte mult) sange|hemorag\w*|emorrag\w*",
        r"varsa sange",
        r"kanama\w* (?:\w+ ){0,2}(?:durmuyor|cok|fazla|dinmiyor)",
        r"(?:cok|fazla) kan\w*",
        r"kan (?:\w+ ){0,1}(?:kusuyor|kustu|tukuruyor|akiyor|fiskiriyor)",
        r"\bd?dem (?:\w+ ){0,3}(?:bzaf|ma bgha\w*|ma kayw9ef\w*|ma kaywqef\w*|ma w9ef\w*|kaysil|kaykhrej)",
        r"(?:kaytqiya|kayrej3|kaytqiyaw|tqiya) (?:\w+ ){0,1}(?:dem|ddem)",
        r"(?:se |si |s )?(?:corto|taglia\w*|cortou|taiat) (?:\w+ ){0,4}(?:no para|non si ferma|nao para|nu se opreste)",
        minimisable=True,
    ),
    # --- trauma -------------------------------------------------------------------------------
    english(
        C.TRAUMA,
        r"(?:se )?cay\w* (?:\w+ ){0,3}(?:escalera\w*|techo|tejado|azotea|altura|balcon|arbol|andamio|caballo|moto)",
        r"cadut\w* (?:\w+ ){0,3}(?:scala|scale|tetto|albero|balcone|altezza|impalcatura|cavallo|moto)",
        r"caiu (?:\w+ ){0,3}(?:escada|telhado|muro|altura|arvore|andaime|cavalo|mota|moto)",
        r"(?:a )?cazut (?:\w+ ){0,3}(?:scara|scari|acoperis|balcon|inaltime|copac|schela|etaj)",
        r"(?:merdivenden|yuksekten|damdan|balkondan|agactan|iskeleden|catidan) (?:\w+ ){0,1}dus\w*",
        r"rejl\w* (?:\w+ ){0,1}m3a?w[e]?j\w*",
        r"ta[h7] (?:\w+ ){0,1}(?:mn|men) (?:\w+ ){0,2}(?:sellum|sullam|sta7|terrasse|balcon|lfou9|tbe9|etage|chejra)",
        r"(?:golpe\w*|pego|batt\w*|bateu|lovit|carpt\w*|drab|tdrab|drbat) (?:\w+ ){0,3}"
        r"(?:cabeza|testa|cabeca|cap\b|capul|kafa\w*|bas\w*|rass\w*|ras\b)",
        r"(?:accidente|incidente|acidente|accident|kaza|ksida|accident) (?:\w+ ){0,3}(?:grave|moto|coche|auto|carro|masina|araba|tomobil)",
        r"(?:no puede|non riesce a|nao consegue|nu (?:mai )?poate) (?:\w+ ){0,1}(?:mover|muovere|mexer|misca) (?:\w+ ){0,1}(?:las piernas|le gambe|as pernas|picioarele)",
        with_=r"vomit\w*|kus\w*|varsa|tqiya|somnolient\w*|sonnolent\w*|sonolent\w*|confus\w*|"
        r"sangue|sangre|sange|kan\b|dem\b|bayil\w*|inconstient|desmay\w*|svenut\w*|no responde|non risponde|"
        r"escalera|scala|escada|scara|merdiven|sellum|sullam|techo|tejado|tetto|telhado|acoperis|dam\w*|balcon\w*|"
        r"altura|altezza|inaltime|yuksek|arbol|albero|arvore|copac|agac|muro|iskele|andamio|impalcatura|"
        r"andaime|schela|etaj|etage|kat\w*|piernas|gambe|pernas|picioare|hueso|osso|os\b|kemik|grave|"
        r"moto|coche|auto|masina|araba|tomobil|caballo|cavallo|cavalo",
    ),
    # --- burn ---------------------------------------------------------------------------------
    english(
        C.BURN,
        r"(?:se )?quem\w*",
        r"(?:si e |s e |s )?(?:bruciat\w*|scottat\w*|ustion\w*)",
        r"queim\w*",
        r"(?:s a )?oparit\w*|\bars[aie]?\b|arsur\w*",
        r"(?:yandi|yanik\w*|haslan\w*)",
        r"(?:t7r9|t7ra9|tkhr9|7r9|ta7r9|m7rou9|t7ar9|tsmt)\w*",
        with_=_CHILD + r"|hirviendo|bollente|fervendo|fervente|fierbinte|clocot\w*|kaynar|skhoun|"
        r"sokhon|ampollas|vesciche|bolhas|basici|kabarc\w*|cara\b|viso|rosto|fata\b|yuz\w*|wjh\w*|"
        r"todo el|tutto il|tutta la|todo o|toata|butun|kamel|electric\w*|elettric\w*|acido|acid\b",
    ),
    # --- anaphylaxis --------------------------------------------------------------------------
    english(
        C.ANAPHYLAXIS,
        r"(?:faccia|viso|cara|labbra|labios|lengua|lingua|gola|garganta|rosto|boca|lingua|gatul|gat|"
        r"buzele|limba|fata|ochii|yuz\w*|dudak\w*|dil\w*|bogaz\w*|goz\w*|wjh\w*|chfay\w*|lsan\w*|"
        r"l7l9|7al9|fomm\w*|3in\w*) (?:\w+ ){0,3}"
        r"(?:si gonfia|gonfi\w*|hinch\w*|incha\w*|inchad\w*|umfl\w*|sis\w*|ntfe7|tnfe7|nfe7|mnfou7|tnfekh|nfkh|"
        r"ntafekh|ntfekh|ntafe7|nfekh|spuch\w*)",
        r"(?:hinch\w*|gonfi\w*|incha\w*|umfl\w*|ntfe7|tnfe7|nfe7) (?:\w+ ){0,3}(?:faccia|viso|cara|labbra|"
        r"labios|lengua|lingua|gola|garganta|rosto|boca|gatul|gat\b|buzele|limba|fata|wjh\w*|l7l9)",
        r"ari (?:\w+ ){0,1}sok\w*",
        with_=r"mangiat\w*|comid\w*|comeu|comi\b|comio|noccioline|arachidi|cacahuetes?|mani\b|amendoim|"
        r"punt\w*|picad\w*|pico|ape\b|vespa|abeja|avispa|abelha|respir\w*|medicin\w*|pastilla|"
        r"mancat|alune|intepat\w*|albina|viespe|ari\b|sok\w*|yedi\w*|fistik|nefes|ilac|"
        r"kla|klat|kliti|n7la|dbbana|9ras|l9rsa|tnfs|tnefs|nefs|dwa",
    ),
    # --- poisoning ----------------------------------------------------------------------------
    english(
        C.POISONING,
        r"(?:bebi\w*|tomo|trago|tragado|bevuto|ingoiat\w*|inghiott\w*|ingerit\w*|engoli\w*|bebeu|tomou|"
        r"a baut|a inghitit|a luat|icti|ictim|yuttu|chrb|chrbat|kla|klat|bl3|bl3at) (?:\w+ ){0,4}"
        r"(?:gasolina|lejia|veneno|pastillas|benzina|candeggina|veleno|pillole|compresse|pastiglie|"
        r"comprimidos|remedios|lixivia|detergente|liquido de limpieza|producto|prodotto|produto|"
        r"farmac\w*|medicament\w*|medicinal\w*|clor|otrava|pastile|soda|camasir suyu|deterjan|"
        r"ilac\w*|hap\w*|zehir|dwa\w*|7bob|jafil|javel|tnqiya|sem\b|sm\b|mazout|ciuperc\w*|mantar)",
        with_=_CHILD + r"|toda|todas|todo|tutte|tutta|todos|toate|hepsi|kamlin|kaml\w*|bzaf|caja|"
        r"scatola|caixa|cutie|kutu|vomit\w*|kus\w*|tqiya|varsa|lejia|candeggina|lixivia|javel|jafil|clor|"
        r"camasir|detergent\w*|deterjan|tnqiya|limpieza|veneno|veleno|otrava|zehir|gasolina|benzina|"
        r"mazout|ciuperc|mantar|\bsem\b|sobredosis",
    ),
    english(
        C.POISONING,
        r"(?:intoxica\w*|envenen\w*|avvelenat\w*|otravit\w*|zehirlen\w*|tsmem|tsmm|msmom|tsemem)",
        r"(?:sobredosis|overdose|supradoza|asiri doz)",
        r"(?:camasir suyu|ilac\w*|hap\w*|deterjan|zehir|pil) (?:\w+ ){0,3}(?:icti|ictim|icmis|yuttu|yutmus)",
        unless=r"alimentair\w*|alimentar\w*",
    ),
    # --- infant with fever ------------------------------------------------------------------
    english(
        C.INFANT_FEVER,
        _FEVER,
        with_=r"(?:bebe\w*|bambin\w*|neonat\w*|nacido|nascid\w*|bebelus\w*|bebeg\w*|bebek\w*|"
        r"figli\w*|hij[oa]|filh[oa]|fiul|fiica|oglum|kizim|wld\w*|bnt\w*|drri|dri) (?:\w+ ){0,4}"
        r"(?:(?:[1-9]|1[0-2]|una?|dos|tres|due|tre|um|dois|o|doua|trei|bir|iki) (?:semanas?|settimane?|"
        r"saptamani|saptamana|haftalik|hafta|simana\w*|jem3a\w*|jm3at|gunluk)\b|"
        # days only as an age (« de 10 días »), not as how long a cough has lasted (« há 3 dias »)
        r"(?:de|di|com|con|are|fih) (?:\d+|un|uno|dos|tres|dieci|dez|zece) (?:dias|giorni|zile|ayam|iyam)\b|"
        r"(?:1|2|un|uno|una|um|dos|due|dois|o|doua|bir|iki) (?:mes|meses|mese|mesi|luna|luni|aylik)\b|"
        r"\b(?:3ndo|3ndha|3mro|3mrha) (?:\w+ ){0,1}(?:chhar|chahr|jouj chhour|joj chhor|simana|\d+ (?:ayam|iyam|simanat))|"
        r"chhar w n9s)",
    ),
    # --- meningitis -----------------------------------------------------------------------------
    english(
        C.MENINGITIS,
        r"(?:nuca|collo|cuello|pescoco|ceafa|gatul|ense\w*|boyn\w*|3n9\w*|rgba|rgbt\w*|ra9ba)"
        r" (?:\w+ ){0,1}(?:rigid\w*|duro|dura|tieso|intepenit\w*|tutul\w*|sert\w*|kaskati|9as\w*|m9as\w*|yabs\w*)",
        r"manchas? (?:\w+ ){0,2}(?:morad\w*|roxas?|violet\w*)",
        r"macchie (?:\w+ ){0,2}(?:viola|violacee)",
        r"pete (?:\w+ ){0,2}(?:mov|violet\w*)",
        r"mor (?:\w+ ){0,1}lekeler\w*",
        r"(?:tbo3|7bob|tache\w*) (?:\w+ ){0,1}(?:zr9|zer9|zor9|mauve\w*|violet\w*)\w*",
        r"(?:manchas?|macchie|pete|lekeler\w*|tbo3) (?:\w+ ){0,4}(?:no desaparecen|non spariscono|nao somem|"
        r"no se van|nu dispar|gecmiyor|kaybolmuyor|ma kaymchiw\w*|ma kaytmchaw\w*)",
        r"basini (?:\w+ ){0,1}egemiyor|nu (?:mai )?poate (?:sa )?(?:isi )?(?:aplece|plece) capul",
        with_=_FEVER,
    ),
    # --- pregnancy ----------------------------------------------------------------------------
    english(
        C.PREGNANCY,
        r"sangr\w*",
        r"sanguin(?:o|a|amento)\b",
        r"\bsangue\b",
        r"sanger\w*|\bsange\b",
        r"kanama\w*|kan (?:geliyor|geldi)",
        r"(?:kaykhrej|khrej|kaysil|kaynzel|nzel|kaynzl) (?:\w+ ){0,2}d?dem\b|\bd?dem (?:\w+ ){0,2}(?:kaykhrej|bzaf|kaysil|kaynzel)",
        r"(?:emorragia|hemorragia)",
        r"\b(?:dolor|dolore|dor|dureri?) (?:\w+ ){0,3}(?:fuerte|forte|terribile|insoportable|puternic\w*|foarte mari)",
        r"siddetli (?:\w+ ){0,1}agri\w*",
        r"(?:rompi\w*|rotto|rotte|rota|rompeu|estourou|rupt) (?:\w+ ){0,2}(?:fuente|acque|bolsa|apa)",
        r"(?:perso|perdi|perdeu) (?:le |las |as )?(?:acque|aguas)",
        r"(?:perdido|perdi|perso|perdeu) (?:\w+ ){0,1}(?:liquido|agua|acqua|liquide)",
        r"krwawi\w*|boli (?:\w+ ){0,2}brzuch",
        r"(?:suyu|sulari\w*|sularim) (?:\w+ ){0,1}geldi",
        r"(?:lma|l ma) (?:\w+ ){0,1}(?:tkhrej|khrj\w*|kaykhrej)",
        r"(?:no se mueve|non si muove|nao (?:se )?mexe|nu (?:mai )?misca|hareket etmiyor|kipirda\w*|"
        r"ma (?:\w+ ){0,1}(?:kaytharrek|kayt7arrek|kayt7rrk|t7arrek|tharrek)\w*)",
        with_=_PREGNANT,
    ),
    # --- confusion -----------------------------------------------------------------------------
    english(
        C.CONFUSION,
        r"non sa (?:piu )?(?:dove|chi)",
        r"no sabe (?:donde|quien)",
        r"nao sabe (?:onde|quem)",
        r"dice (?:cose|cosas) (?:strane|raras|sin sentido)",
        r"confus[oa]\b",
        r"desorientad\w*|disorientat\w*|dezorientat\w*",
        r"(?:no reconoce|non riconosce|nao reconhece|nu (?:mai )?recunoaste|kimseyi tanimiyor|tanimiyor)",
        r"nu (?:mai )?stie unde|confuz\w*",
        r"nerede oldugunu bilmiyor|sacmaliyor|bilinci bulanik",
        r"(?:sekeri|seker) (?:\w+ ){0,1}(?:dustu|dusuk|\b[2-5]\d\b)",
        r"(?:glicemi\w*|glucemi\w*|zahar\w*|azucar|zucchero|acucar) (?:\w+ ){0,2}(?:baja|basso|baixo|scazut\w*|mica|\b[2-5]\d\b)",
        r"ma (?:\w+ ){0,1}(?:kay|ka|kat)?3[e]?rf\w* (?:\w+ ){0,1}(?:7ta wa7ed|hta wahed|chkoun|chkon|fin kayn)",
        r"ma kay3rfnach|ma kat3rfnach|kaykhrbe9|kaykhrbq|kaytkhrbe9|kayhdr b chi",
        r"(?:sokkar|sokar|sukkar|sokr) (?:\w+ ){0,2}(?:tay7|ta7|habet|hbet|nzel|nazel|nqes|n9es)",
    ),
    # --- suicide ------------------------------------------------------------------------------
    english(
        C.SUICIDE,
        r"togli\w* la vita",
        r"quitar\w* la vida",
        r"tirar (?:a )?(?:minha|sua) vida",
        r"(?:matarme|matar me|se quiere matar|uccider\w*|ammazzarmi|me matar|se matar|suicid\w*)",
        r"(?:no quiero|non voglio|nao quero|nu mai vreau) (?:\w+ ){0,1}(?:vivir|vivere|viver|sa traiesc)",
        r"(?:quiero|voglio|quero|vreau sa) (?:\w+ ){0,1}(?:morir|morire|morrer|mor)\b",
        r"(?:farla finita|acabar con todo|acabar com tudo)",
        r"sa (?:ma )?(?:sinucid|omor)\w*|sinucid\w*|sa mi iau viata",
        r"intihar\w*|kendimi (?:\w+ ){0,1}oldur\w*|olmek istiyorum|yasamak istemiyorum|canima kiy\w*",
        r"bghit (?:\w+ ){0,1}n?mout|bghit nmot|bgha ymout|bghat tmout",
        r"n[9q]t[e]?l (?:\w+ ){0,1}ras\w*|[9q]tel ras\w*|nt7er|nte7er|inte7ar|nt7ar",
        historic=False,
    ),
)
