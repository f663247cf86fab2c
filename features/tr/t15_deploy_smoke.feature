# language: tr
@t15 @read_only
Özellik: T-15 deploy, migration ve smoke
  Deployer, release'in deploy edildiğini, migrate edildiğini ve yanıt verdiğini kanıtlar (runbook §4 T-15, checklist bölüm 3).

  Geçmiş:
    Diyelim ki cutover hedefi erişilebilir

  @t15_deploy_completed
  Senaryo: Deploy edilen build sabitlenmiş release'tir
    Eğer ki deploy edilen sürümü okurum
    O zaman deploy edilen git SHA release SHA'ya eşittir

  @t15_migrations_at_head
  Senaryo: Migration'lar head'de
    Eğer ki hedefin hazır olma durumunu okurum
    O zaman hazır olma durumu migration'ların head'de olduğunu bildirir
    Ve veritabanındaki uygulanmış migration head'e eşittir

  @t15_api_health
  Senaryo: API health 200 ve sağlıklı yanıt verir
    Eğer ki health endpoint'ini çağırırım
    O zaman 200 ve sağlıklı durum ile yanıt verir

  @t15_admin_login
  Senaryo: Admin girişi
    Eğer ki admin giriş yapar
    O zaman admin bir bearer token alır
    Ve admin profili bu token ile yanıt verir
    Ve yanlış parola reddedilir

  @t15_dashboard_loads
  Senaryo: Admin dashboard'u yüklenir
    Diyelim ki admin giriş yapmış
    Eğer ki admin dashboard'u açar
    O zaman dashboard 200 ve bir özet ile yanıt verir

  @t15_payouts_router
  Senaryo: Payouts router'ı erişilebilir
    Diyelim ki admin giriş yapmış
    Eğer ki payouts router'ını yoklarım
    O zaman payouts router'ı bağlıdır

  @t15_admin_auth_enforced
  Senaryo: Admin endpoint'leri anonim çağrılara kapalı
    O zaman admin endpoint'leri token'sız isteği reddeder
    Ve admin endpoint'leri geçersiz token'ı reddeder

  @t15_alerting_active
  Senaryo: Alarmlar Prometheus ve Alertmanager'da canlı
    Eğer ki Prometheus'a platformun alarm düzenini sorarım
    O zaman runbook'un gerektirdiği her alarm zamanında değerlendirilen sağlıklı bir kuraldır
    Ve bir Alertmanager bağlıdır, ayaktadır ve alarmları bir alıcıya yönlendirir
