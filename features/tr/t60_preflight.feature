# language: tr
@t60 @read_only
Özellik: T-60 pre-flight
  Cutover başlamadan önce: release sabitlendi, sorumlular atandı, prod konfigürasyonu doğrulandı, RC artefaktları
  mevcut ve hash'leri doğrulandı (runbook önkoşulları ve §4 T-60, checklist bölüm 1).

  @t60_release_pinned
  Senaryo: Release SHA sabitlendi
    O zaman release SHA sabitlenmiştir

  @t60_owners_assigned
  Senaryo: Sorumlular atandı
    O zaman her cutover rolünün bir sorumlusu vardır

  @t60_prod_env_verified
  Senaryo: verify_prod_env başarılı
    Eğer ki prod konfigürasyon dosyasını doğrularım
    O zaman muafiyet verilmemiş hiçbir konfigürasyon bulgusu başarısız değildir

  @t60_cors_restricted
  Senaryo: Çalışan hedefte CORS kısıtlı
    Diyelim ki cutover hedefi erişilebilir
    Eğer ki yabancı bir origin'den CORS preflight gönderirim
    O zaman preflight reddedilir

  @t60_bootstrap_disabled
  Senaryo: Bootstrap, seed ve test endpoint'leri kapalı
    Diyelim ki cutover hedefi erişilebilir
    Eğer ki bootstrap, seed ve test endpoint'lerini yoklarım
    O zaman hiçbiri canlı değildir

  @t60_rc_artifacts_verified
  Senaryo: RC artefaktları mevcut ve hash'leri doğrulandı
    Eğer ki RC artefaktlarını SHA256SUMS manifestine göre doğrularım
    O zaman her artefakt mevcuttur ve hash'i eşleşir
