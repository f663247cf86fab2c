# language: tr
@t0
Özellik: T-0 canary money loop
  Payments Owner canary'yi gerçek para ile çalıştırır: deposit -> withdraw isteği -> admin onayı -> ödendi işaretleme ->
  ledger settlement (runbook §4 T-0, checklist bölüm 4). Canary FAIL = NO-GO.

  Geçmiş:
    Diyelim ki cutover hedefi erişilebilir

  @t0_deposit @t0_withdraw_request @t0_admin_approve @t0_mark_paid @t0_ledger_settlement
  Senaryo: Canary money loop
    Diyelim ki KYC'si onaylanmış doğrulanmış bir canary oyuncusu
    Eğer ki canary deposit tutarını yatırır
    O zaman deposit yöntemine göre tamamlanır
    Ve kullanılabilir bakiye tam olarak deposit tutarı kadar arttı
    Ve deposit isteğinin tekrarı aynı işlemi döndürür ve bakiye değişmez
    Eğer ki canary withdraw tutarı kadar çekim ister
    O zaman kullanılabilir bakiye tam withdraw tutarı kadar azaldı ve bloke bakiye o kadar arttı
    Eğer ki admin çekimi onaylar
    O zaman platform çekimi onaylanmış gösterir
    Eğer ki admin çekimi ödendi olarak işaretler
    O zaman platform çekimi ödenmiş gösterir
    Ve bloke bakiye başlangıca döndü ve kullanılabilir bakiye tam olarak başlangıç + deposit - withdraw
    Ve veritabanı ve admin görünümü oyuncunun bakiyeleriyle uyuşur
    Ve mark-paid tekrarı para hareket ettirmez

  @t0_player_scope
  Senaryo: Oyuncu oturumu hiçbir admin endpoint'ini açmaz
    Diyelim ki koşunun canary oyuncusu giriş yapmış
    Eğer ki canary'nin oturumu yalnızca admin'e açık her endpoint'i çağırır
    O zaman her biri onu reddeder, admin'in kendi oturumu ise yanıt alır

  @t0_psp_deposit
  Senaryo: PSP deposit'i, PSP'nin imzalı webhook'u geldiğinde tamamlanır
    Diyelim ki KYC'si onaylanmış doğrulanmış bir canary oyuncusu
    Eğer ki canary kit tutarını PSP'nin asenkron yöntemiyle yatırır
    O zaman deposit PSP'nin imzalı webhook'u geldiğinde tamamlanır
    Ve kullanılabilir bakiye tam olarak kit tutarı kadar arttı

  @t0_alternate_paths
  Senaryo: Her alternatif onay ve ödeme yolu bir kit çekimini öder
    Diyelim ki bakiyesi olan bir webhook test oyuncusu
    Eğer ki her alternatif onay ve ödeme yolu için bir kit çekimi istenir
    O zaman her alternatif yol çekimini onaylar
    Ve her alternatif yol çekimini öder
    Ve ödenen her çekim tam olarak kapandı

  @t0_ledger_invariants @read_only
  Senaryo: T-0'ın yaptığı her şeyde son söz ledger'ındır
    Eğer ki canary'nin bakiyelerini çalıştırmanın kendi işlemlerinin açıkladığıyla karşılaştırırım
    O zaman canary'nin parasındaki hiçbir değişiklik açıklamasız değildir
    Eğer ki profilin ledger invariant sorgularını çalıştırırım
    O zaman hiçbir ledger invariant'ı ihlal edilmemiştir

  @t0_canary_report @read_only
  Senaryo: Canary raporu, çalıştırmanın platformda bıraktıklarıyla biter
    Diyelim ki admin giriş yapmış
    Eğer ki çalıştırmanın platformda bıraktıklarını okurum
    O zaman canary'nin bakiyeleri, açık çekimleri ve gate'in işlemleri kayda geçer
    Ve metrikler hypercare baseline'ı olarak saklanır
